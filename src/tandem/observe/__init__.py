"""Operations: the request log line, Prometheus metrics, and the health and readiness checks."""

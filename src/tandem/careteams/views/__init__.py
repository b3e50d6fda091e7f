"""Pages of the careteams domain: its web adapters, one module per area."""

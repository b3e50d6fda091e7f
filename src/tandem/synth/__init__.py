"""Synthetic populations: deterministic patients, care teams and staff for demos and benchmarks."""

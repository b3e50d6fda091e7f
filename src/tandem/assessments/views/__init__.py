"""Pages of the assessments domain: its web adapters, one module per area."""

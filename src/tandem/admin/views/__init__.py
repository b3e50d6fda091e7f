"""Pages of the admin domain: its web adapters, one module per area."""

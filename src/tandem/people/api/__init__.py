"""JSON routes of the people domain: its web adapters, one module per area."""

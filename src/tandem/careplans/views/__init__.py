"""The care plan's pages (each area in its own module)."""

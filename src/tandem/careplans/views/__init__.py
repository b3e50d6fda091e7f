"""The care plan's pages."""

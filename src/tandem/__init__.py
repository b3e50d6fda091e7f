"""Tandem: the shared workspace of an integrated mental-health care team."""

__version__ = "0.1.0"

"""Organisations, users (practitioners), patients, identifiers and related persons."""

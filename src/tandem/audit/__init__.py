"""Append-only, hash-chained audit events for every read and write of patient data."""

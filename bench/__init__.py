"""Tandem benchmarks: synthetic populations, a real server, timed HTTP scenarios."""

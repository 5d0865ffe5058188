"""Benchmarks and the synthetic-document generator (not shipped in the wheel)."""

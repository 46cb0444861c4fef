"""Benchmarks: `python -m bench` runs every bench/*_bench.py module's `run()` and records the figures."""

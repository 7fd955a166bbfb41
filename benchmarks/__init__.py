"""Backprop Lab's benchmarks (issue #8): `python benchmarks/run.py` runs them all."""

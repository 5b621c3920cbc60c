"""Benchmarks and the synthetic territory generator."""

"""Benchmarks and fault-injection runs that print figures (never asserted on timing in tests)."""

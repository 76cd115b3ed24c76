"""Reporting's use cases: the projection of consumed events, the rebuild, the reports."""

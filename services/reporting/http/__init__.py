"""Reporting's HTTP: the reports API (JSON, CSV, XLSX) and the chart page for programme managers."""

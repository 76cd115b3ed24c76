"""Intake over HTTP: the JSON API (`api/`) and the caseworker page (`pages/`)."""

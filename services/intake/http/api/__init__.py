"""Intake's JSON API under `/v1`: cases, plans, consent, timeline and users."""

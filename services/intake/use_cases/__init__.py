"""Intake's use cases, shared by the JSON API, the caseworker page and the consumers: each loads,
decides with the core and saves its changes and their outbox rows in one transaction."""

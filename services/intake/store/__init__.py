"""Intake's SQL: small query functions over the service's own schema (the pool's search_path),
returning typed objects."""

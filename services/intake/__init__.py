"""Intake: caseworkers register returnees and households, assess needs, record consent, propose and
approve reintegration plans; every change is published through the outbox on `intake.returnees.v1`."""

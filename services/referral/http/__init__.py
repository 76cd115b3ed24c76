"""Referral's HTTP API: FastAPI routers, read-only."""

"""Referral's SQL, over the service's own schema, returning typed objects."""

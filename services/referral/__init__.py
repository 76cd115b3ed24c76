"""Referral: routes returnees to partner organisations and follows each referral to its end."""

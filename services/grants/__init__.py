"""Grants: reintegration grants paid in installments under donor policies, on a hash-chained,
double-entry, append-only ledger (issue 5)."""

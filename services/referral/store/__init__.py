"""Referral's SQL, over the service's own schema, returning typed objects."""

from shared.db_roles import TablePrivileges

# What the referral runtime role may do: read and change its rows (the default) — referrals change
# state, a case's copied facts are dropped on erasure, places are recounted.
PRIVILEGES = TablePrivileges()

"""Referral's SQL, over the service's own schema, returning typed objects."""

from shared.db_roles import APPEND_ONLY, TablePrivileges

# What the referral runtime role may do: read and change its rows (the default) — referrals change
# state, a case's copied facts are dropped on erasure, places are recounted; who read a case (the
# access log, shared/sql_access_log) is append-only, and so is the record of the answers partners'
# staff sent from the portal.
PRIVILEGES = TablePrivileges({"access_log": APPEND_ONLY, "portal_answers": APPEND_ONLY})

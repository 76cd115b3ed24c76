"""Intake's SQL: small query functions over the service's own schema (the pool's search_path),
returning typed objects."""

from shared.db_roles import APPEND_ONLY, TablePrivileges

KEEP_ROWS = frozenset({"SELECT", "INSERT", "UPDATE"})

# What the intake runtime role may do: who read a case and what changed in it are append-only;
# cases and their people change (erasure rewrites them) but are never deleted.
PRIVILEGES = TablePrivileges(
    {
        "access_log": APPEND_ONLY,
        "case_changes": APPEND_ONLY,
        "timeline_events": APPEND_ONLY,
        "cases": KEEP_ROWS,
        "case_people": KEEP_ROWS,
        "idempotency_keys": APPEND_ONLY,
    }
)

"""Intake's SQL: small query functions over the service's own schema (the pool's search_path),
returning typed objects."""

from shared.db_roles import APPEND_ONLY, TablePrivileges

KEEP_ROWS = frozenset({"SELECT", "INSERT", "UPDATE"})
# rows that are added, then only ever deleted: by the erasure of the case they name
ADD_AND_ERASE = frozenset({"SELECT", "INSERT", "DELETE"})
# the people in a case: added with the case, their matching keys filled in where a row predates
# them (migration 0250), deleted by erasure
PEOPLE = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})

# What the intake runtime role may do: who read a case (the access log, shared/sql_access_log) and
# what changed in it are append-only. Cases change (erasure rewrites them) but are never deleted.
# Erasure (use_cases/privacy.py) also deletes the people's name keys, dates of birth and matching
# keys (case_people) and the registration's idempotency keys, and rewrites what referral and grants
# reported about the case to its withheld line (timeline_events: no partner's own words stay).
PRIVILEGES = TablePrivileges(
    {
        "access_log": APPEND_ONLY,
        "case_changes": APPEND_ONLY,
        "timeline_events": KEEP_ROWS,
        "cases": KEEP_ROWS,
        # monitoring visits: added, and erased with their case (the day goes; codes and scores stay)
        "monitoring_visits": KEEP_ROWS,
        "case_people": PEOPLE,
        "idempotency_keys": ADD_AND_ERASE,
        # a caseworker's "different person" (ids only): recorded once, never changed
        "distinct_people": APPEND_ONLY,
        # reception and transport referral statuses per case (codes only): kept, updated
        "arrival_services": KEEP_ROWS,
    }
)

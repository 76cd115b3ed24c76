"""Which faults are transient (retried, never dead-lettered): what a database restart raises."""

from __future__ import annotations

import asyncpg

from shared.transient import is_transient


def test_a_connection_terminated_by_a_database_restart_is_transient() -> None:
    # found by tests/faults/test_postgres_restart.py: a pooled connection the server had just
    # terminated failed its next query with this, and a valid event went to the DLQ
    assert is_transient(
        asyncpg.InternalClientError("cannot switch to state 15; another operation (2) is in progress")
    )
    assert is_transient(
        asyncpg.InterfaceError("cannot call Transaction.__aexit__(): the underlying connection is closed")
    )
    assert is_transient(
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")
    )


def test_a_rule_break_is_not_transient() -> None:
    assert not is_transient(ValueError("no donor programme 'X' in the policy file"))
    assert not is_transient(asyncpg.InternalClientError("something else entirely"))

"""What a consumer may dead-letter: only an error a rule names as poison. A database that is
read-only after a failover, a full disk, a missing table or a bug is no fault of the message: it is
retried (and, not being transient either, raised as an alert), never dead-lettered."""

from __future__ import annotations

import asyncpg
import pytest

from shared.events.envelope import MalformedEvent
from shared.poison import Poison, is_poison
from shared.transient import is_transient


class RuleBroken(Poison, ValueError):
    pass


def test_a_named_rule_break_is_poison_even_when_wrapped() -> None:
    assert is_poison(MalformedEvent("not an event envelope"))
    assert is_poison(RuleBroken("the plan asks for more than the ceiling"))
    wrapped = RuntimeError("while applying the event")
    wrapped.__cause__ = RuleBroken("the plan asks for more than the ceiling")  # `raise ... from`
    assert is_poison(wrapped)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.ReadOnlySQLTransactionError("cannot execute INSERT in a read-only transaction"),
        asyncpg.exceptions.DiskFullError("could not extend file: No space left on device"),
        asyncpg.exceptions.UndefinedTableError('relation "inbox" does not exist'),
        ValueError("a bug"),
        KeyError("a bug"),
    ],
    ids=["read-only-database", "disk-full", "missing-table", "value-error", "key-error"],
)
def test_what_is_not_the_message_s_fault_is_not_poison_nor_quietly_transient(error: Exception) -> None:
    assert not is_poison(error)
    assert not is_transient(error)  # retried as an alert, not as a passing fault

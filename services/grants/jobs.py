"""The grants service's periodic work: the due check, and signing ledger checkpoints."""

from __future__ import annotations

import asyncio

import structlog

from shared.jobs import PeriodicJob
from shared.transient import is_transient

from .use_cases.checkpoints import sign_checkpoint_if_due
from .use_cases.context import GrantsContext
from .use_cases.due import installments_falling_due

log = structlog.get_logger("grants.jobs")


def due_check(context: GrantsContext, interval_s: float) -> PeriodicJob:
    """At start and every `interval_s`: installments whose date has come (by the context's
    today) fall due."""

    async def run_once() -> int:
        return await installments_falling_due(context, context.today())

    return PeriodicJob("grants-due-check", interval_s, run_once)


def checkpoint_signing(context: GrantsContext, interval_s: float) -> PeriodicJob:
    """At start and every `interval_s`: sign a ledger checkpoint if one is due (the policy:
    every N entries or M minutes). A round that finds entries that do not verify fails as an alert."""

    async def run_once() -> None:
        await sign_checkpoint_if_due(context)

    return PeriodicJob("ledger-checkpoint", interval_s, run_once)


async def sign_last_checkpoint(context: GrantsContext, timeout_s: float) -> None:
    """At shutdown: a checkpoint over whatever entries wait, within `timeout_s`. It is stored and
    queued in the outbox; if the relay stops before publishing it, the next start publishes it."""
    try:
        await asyncio.wait_for(sign_checkpoint_if_due(context, shutdown=True), timeout_s)
    except Exception as error:
        log.warning(
            "no checkpoint signed at shutdown; the next start signs the waiting entries",
            error_type=type(error).__name__,
            error=str(error),
            alert=not is_transient(error),
        )

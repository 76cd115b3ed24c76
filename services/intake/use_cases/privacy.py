"""A data subject's rights and the retention period, as intake serves them.

- `erase_case`: erase a case's personal data at once (a subject's request, the law); a case still
  open is closed first (reason `erased`). In ONE transaction: the case becomes an ErasedCase, the
  people's name keys, the search text and the idempotency keys go, referral's and grants' reports
  on the timeline keep their withheld lines only, the case's sent outbox rows are deleted, and
  PersonalDataErased is queued — referral then drops its copy and asks every partner that received
  the case to delete it; grants drops its free text.
- `purge`: erase every closed case whose programme's retention period is over (the daily job and
  `homeward privacy purge`).
- `export_case`: everything intake holds about the case, for the subject (`homeward privacy export`).

An erasure keeps the case's monitoring visits' codes and scores and their month, not their day.

Each leaves a row in the access log, with the purpose given (subject access, erasure, retention).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog

from services.intake.core import decisions
from services.intake.core.case import ErasedCase
from services.intake.core.errors import CaseNotFound
from services.intake.core.privacy import NO_USER, erased, erasure_event, erasure_summary
from services.intake.core.requests import Closure
from services.intake.core.retention import Retention
from services.intake.core.timeline import merge
from services.intake.core.visits import MonitoringVisit
from services.intake.store import cases as store
from services.intake.store import monitoring as monitoring_store
from services.intake.store import timeline
from shared import access_log, outbox
from shared.db import transaction
from shared.events import new_envelope
from shared.events.codes import ClosureReason, ErasureReason
from shared.outbox.store import forget_sent
from shared.privacy import Action, Actor, Purpose, erasure_purpose

from .context import IntakeContext
from .recording import PRODUCER, record_decision

log = structlog.get_logger("intake.privacy")


def jsonable_visit(visit: MonitoringVisit) -> dict[str, Any]:
    data = dataclasses.asdict(visit)
    for key in ("id", "case_id", "recorded_by"):
        data[key] = str(data[key])
    data["visited_on"] = visit.visited_on.isoformat() if visit.visited_on else None
    data["recorded_at"] = visit.recorded_at.isoformat()
    data["dimension_scores"] = {d.value: s for d, s in visit.dimension_scores.items()}
    return data


async def erase_case(
    context: IntakeContext, case_id: UUID, reason: ErasureReason, actor: Actor
) -> ErasedCase:
    """Erase the case's personal data now; erasing an erased case again changes nothing."""
    now = context.clock()
    async with transaction(context.pool) as connection:
        case = await store.load_case(connection, case_id, for_update=True)
        if case is None:
            already = await store.read_case(connection, case_id)
            if isinstance(already, ErasedCase):
                return already
            raise CaseNotFound(str(case_id))
        by = actor.id or NO_USER
        # a return that did not happen ended without a closure: it is erased as it is
        if case.closure is None and case.ended_at() is None:
            closing = decisions.close(case, Closure(reason=ClosureReason.ERASED), by, now)
            await store.update_case(connection, closing.case)
            await record_decision(connection, context, closing)
            case = closing.case
        gone = erased(case, reason, actor.id, now)
        await forget_sent(connection, [str(case_id)])  # before this erasure's own event is queued
        await store.erase_case(connection, gone)
        await timeline.erase_reported_words(connection, case_id)
        await monitoring_store.erase_visit_days(connection, case_id)
        envelope = new_envelope(erasure_event(gone), key=case_id, producer=PRODUCER)
        await outbox.append(connection, context.topics.returnees, envelope)
        summary = erasure_summary(reason)
        await timeline.record_line(
            connection, case_id, now, "PersonalDataErased", summary, actor.id, envelope.event_id
        )
        await access_log.record(connection, actor, Action.ERASE, [case_id], erasure_purpose(reason))
    log.info(
        "personal data erased", case_id=str(case_id), reason=reason.value, event_id=str(envelope.event_id)
    )
    return gone


async def purge(
    context: IntakeContext,
    retention: Retention,
    actor: Actor,
    *,
    now: datetime | None = None,
    batch: int = 100,
) -> list[UUID]:
    """Erase every case past its programme's retention period at `now` (default: the clock); return
    their ids. Each case is erased in a transaction of its own: one that fails is logged and left
    for the next round, the others go ahead."""
    moment = now or context.clock()
    periods = {p: period.days_after_closure for p, period in retention.programmes.items()}
    done: list[UUID] = []
    failed: set[UUID] = set()
    while True:
        due = [
            c
            for c in await store.due_for_erasure(context.pool, periods, moment, batch + len(failed))
            if c not in failed
        ]
        if not due:
            break
        for case_id in due:
            try:
                await erase_case(context, case_id, ErasureReason.RETENTION_ENDED, actor)
                done.append(case_id)
            except Exception:
                log.exception("erasure failed; the next round tries again", case_id=str(case_id), alert=True)
                failed.add(case_id)
    if done:
        log.info("retention: personal data erased", cases=len(done))
    return done


async def export_case(context: IntakeContext, case_id: UUID, actor: Actor) -> dict[str, Any]:
    """Everything intake holds about the case, as JSON-ready data: the case as stored, its timeline
    and its access log (this export's own row included)."""
    async with transaction(context.pool) as connection:
        case = await store.read_case(connection, case_id)
        if case is None:
            raise CaseNotFound(str(case_id))
        await access_log.record(connection, actor, Action.EXPORT, [case_id], Purpose.SUBJECT_ACCESS)
    entries = merge(
        await timeline.own_changes(context.pool, case_id),
        await timeline.consumed_events(context.pool, case_id),
    )
    accesses = await access_log.for_case(context.pool, case_id, limit=100_000)
    visits = await monitoring_store.visits_of(context.pool, case_id)
    return {
        "case": case.model_dump(mode="json"),
        "monitoring_visits": [jsonable_visit(v) for v in visits],
        "timeline": [entry.model_dump(mode="json") for entry in entries],
        "access_log": [access_log.jsonable(entry) for entry in accesses],
    }

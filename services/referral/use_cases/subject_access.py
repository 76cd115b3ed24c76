"""A data subject's access request, as referral serves it (`homeward privacy export`): everything
referral holds about one case — its copy of the case's facts, every referral with what its partner
was sent, the events still held in the outbox, and the case's access log. Read with referral's own
store, recorded in its access log."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from uuid import UUID

from services.referral.store import referrals
from shared import access_log
from shared.db import Pool
from shared.identity.model import CaseLimit
from shared.outbox.store import events_of_key
from shared.privacy import Action, Actor, Purpose

EVERY_REFERRAL = 100_000


async def export_case(pool: Pool, case_id: UUID, actor: Actor) -> dict[str, Any]:
    await access_log.record(pool, actor, Action.EXPORT, [case_id], Purpose.SUBJECT_ACCESS)
    case = await referrals.read_case(pool, case_id)
    # everything held about the subject: no reader's scope applies (an operator's command)
    held = await referrals.list_referrals(
        pool, programmes=None, case_limit=CaseLimit(), case_id=case_id, limit=EVERY_REFERRAL
    )
    return {
        "case": None
        if case is None
        else {"facts": case.facts.model_dump(mode="json"), "closed": case.closed, "erased": case.erased},
        "referrals": [_jsonable(asdict(r)) for r in reversed(held)],  # oldest first
        "events": await events_of_key(pool, str(case_id)),
        "access_log": [
            access_log.jsonable(e) for e in await access_log.for_case(pool, case_id, limit=100_000)
        ],
    }


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat()
        if hasattr(value, "isoformat")
        else str(value)
        if isinstance(value, UUID)
        else value
        for key, value in values.items()
    }

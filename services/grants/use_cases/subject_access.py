"""A data subject's access request, as grants serves it (`homeward privacy export`): everything
grants holds about one case — its grants with their installments, the ledger entries of those
grants, the events still held in the outbox, and the case's access log. Read with grants' own
store, recorded in its access log."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from uuid import UUID

from services.grants.store import grants as grant_store
from services.grants.store import installments as installment_store
from services.grants.store import ledger_reads
from shared import access_log
from shared.db import Pool
from shared.outbox.store import events_of_key
from shared.privacy import Action, Actor, Purpose

EVERY = 100_000


async def export_case(pool: Pool, case_id: UUID, actor: Actor) -> dict[str, Any]:
    await access_log.record(pool, actor, Action.EXPORT, [case_id], Purpose.SUBJECT_ACCESS)
    # everything held about the subject: no reader's scope applies (an operator's command)
    grants = await grant_store.list_grants(
        pool, programmes=None, programme_id=None, status=None, case_id=case_id, limit=EVERY, offset=0
    )
    out = []
    for grant in grants:
        installments = await installment_store.installments_of(pool, grant.id)
        entries = await ledger_reads.entries(pool, programmes=None, grant_id=grant.id, limit=EVERY)
        out.append(
            {
                "grant": _jsonable(asdict(grant)),
                "installments": [_jsonable(asdict(i)) for i in installments],
                "ledger_entries": [e.model_dump(mode="json") for e in entries],
            }
        )
    return {
        "grants": out,
        "events": await events_of_key(pool, str(case_id)),
        "access_log": [access_log.jsonable(e) for e in await access_log.for_case(pool, case_id, limit=EVERY)],
    }


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    """A store object's fields as JSON-ready values (money and models dumped, dates as text)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if hasattr(value, "model_dump"):
            out[key] = value.model_dump(mode="json")
        elif isinstance(value, list):
            out[key] = [v.model_dump(mode="json") if hasattr(v, "model_dump") else v for v in value]
        elif hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        elif isinstance(value, UUID) or hasattr(value, "value"):
            out[key] = str(getattr(value, "value", value))
        else:
            out[key] = value
    return out

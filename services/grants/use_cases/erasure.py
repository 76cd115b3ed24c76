"""PersonalDataErased: grants drops the free text it holds about the case (store.installments
`erase_free_text`) and the events it sent about it. Grants, installments, amounts and the ledger
stay: they carry ids, codes and references only, and the ledger's chain must stay whole."""

from __future__ import annotations

import structlog

from services.grants.store import installments as installment_store
from shared.db import Connection
from shared.events.envelope import Envelope
from shared.events.intake import PersonalDataErased
from shared.outbox.store import forget_sent

from .context import GrantsContext

log = structlog.get_logger("grants.erasure")


async def forget_personal_data(connection: Connection, context: GrantsContext, envelope: Envelope) -> None:
    erased = envelope.event_as(PersonalDataErased)
    await installment_store.erase_free_text(connection, erased.case_id)
    await forget_sent(connection, [str(erased.case_id)])
    log.info("free text of an erased case dropped", case_id=str(erased.case_id))

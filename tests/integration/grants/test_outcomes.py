"""Installments that follow outcomes (issue 14, point 2), on NL-AVRR's policy (deploy/config):
vocational training's second half waits for a completed vocational_training referral; a micro-business is
paid 40% on approval, 30% once a monitoring visit finds it operating, 30% at the third visit (or a
later one) scoring at least 0.5. Each milestone makes exactly its installment due, once; a
re-delivered event does nothing; a re-migrated returnee's waiting installments are cancelled and
their money released in balanced transactions, and the ledger still verifies against its signed
checkpoints."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.grants.use_cases.audit import verify_database_chain
from services.grants.use_cases.checkpoints import sign_checkpoint_if_due
from shared.events import Envelope, new_envelope
from shared.events.codes import AssistanceType as T
from shared.events.codes import Category, Dimension, ReferralStatus
from shared.events.intake import MonitoringVisitRecorded
from shared.events.referral import ReferralStatusChanged
from tests.support import eventually
from tests.unit.grants.builders import plan

from .conftest import GrantsService, plan_approved

pytestmark = pytest.mark.integration
PROGRAMME = "NL-AVRR"


def visit(
    case_id: UUID,
    number: int,
    composite: float,
    *,
    business_operating: bool | None = None,
    re_migrated: bool = False,
) -> Envelope:
    return new_envelope(
        MonitoringVisitRecorded(
            case_id=case_id,
            programme_id=PROGRAMME,
            visit_id=uuid4(),
            visit_number=number,
            scheduled_month=[3, 6, 12][number - 1] if number <= 3 else None,
            visited_on=date(2026, 1, 1),
            survey="rss-illustrative-1",
            answers={"income_source": "regular"},
            indicator_scores={"income_source": composite},
            dimension_scores={d: composite for d in Dimension},
            composite=composite,
            business_operating=business_operating,
            in_municipality=not re_migrated,
            re_migrated=re_migrated,
            recorded_by=str(uuid4()),
        ),
        key=case_id,
        producer="intake",
    )


def referral(case_id: UUID, category: Category, status: ReferralStatus) -> Envelope:
    return new_envelope(
        ReferralStatusChanged(
            referral_id=uuid4(), case_id=case_id, partner_id="p-1", category=category, status=status
        ),
        key=case_id,
        producer="referral",
    )


async def opened(service: GrantsService) -> tuple[UUID, dict[str, Any]]:
    await service.fund(PROGRAMME, 1_000_000)
    approved = plan(
        PROGRAMME,
        [40],
        {T.MICRO_BUSINESS: 100_000, T.VOCATIONAL_TRAINING: 60_000},
        arrival=service.clock.today,
    )
    await service.deliver(plan_approved(approved))
    grant = await service.grant_of(approved.case_id)
    assert grant["status"] == "open"
    return approved.case_id, grant


def by_milestone(grant: dict[str, Any]) -> dict[str, tuple[int, str]]:
    return {
        f"{i['assistance_type']}/{i['milestone']}": (i["amount"]["amount"], i["status"])
        for i in grant["installments"]
    }


async def states(service: GrantsService, grant: dict[str, Any]) -> dict[str, tuple[int, str]]:
    return by_milestone(await service.get(f"/v1/grants/{grant['id']}"))


async def due_events(service: GrantsService, case_id: UUID, at_least: int) -> list[UUID]:
    events = await service.published(case_id, at_least=at_least)
    return [e.data["installment_id"] for e in events if e.type == "InstallmentDue"]


async def test_each_outcome_makes_exactly_its_installment_due_once(service: GrantsService) -> None:
    case_id, grant = await opened(service)
    assert by_milestone(grant) == {
        "micro_business/on_approval": (40_000, "due"),
        "vocational_training/on_approval": (30_000, "due"),
        "vocational_training/referral_completed": (30_000, "scheduled"),
        "micro_business/business_operating": (30_000, "scheduled"),
        "micro_business/monitoring_visit": (30_000, "scheduled"),
    }
    ids = {f"{i['assistance_type']}/{i['milestone']}": i["id"] for i in grant["installments"]}
    terms = {(i["milestone"], i["visit"], i["min_composite"], i["category"]) for i in grant["installments"]}
    assert ("monitoring_visit", 3, 0.5, None) in terms
    assert ("referral_completed", None, None, "vocational_training") in terms
    opened_event = (await service.published(case_id, at_least=1))[0]
    assert opened_event.type == "GrantOpened"
    assert {
        (i["milestone"], i["visit"], i["min_composite"], i["category"])
        for i in opened_event.data["installments"]
    } == terms
    waiting = await states(service, grant)

    # another category's completion, or a training referral merely accepted: nothing
    for envelope in (
        referral(case_id, Category.HOUSING, ReferralStatus.COMPLETED),
        referral(case_id, Category.EMPLOYMENT, ReferralStatus.COMPLETED),
        referral(case_id, Category.VOCATIONAL_TRAINING, ReferralStatus.ACCEPTED),
    ):
        await service.deliver_status(envelope)
        await service.processed(envelope)
    assert await states(service, grant) == waiting

    completed = referral(case_id, Category.VOCATIONAL_TRAINING, ReferralStatus.COMPLETED)
    await service.deliver_status(completed)
    await service.processed(completed)
    waiting["vocational_training/referral_completed"] = (30_000, "due")
    assert await states(service, grant) == waiting

    # the first visit: the business operates, but it is not the third visit
    first = visit(case_id, 1, 0.8, business_operating=True)
    await service.deliver(first)
    await service.processed(first)
    waiting["micro_business/business_operating"] = (30_000, "due")
    assert await states(service, grant) == waiting

    # the third visit scores under 0.5: not yet; the fourth (beyond the schedule) scores enough
    third = visit(case_id, 3, 0.42, business_operating=True)
    await service.deliver(third)
    await service.processed(third)
    assert await states(service, grant) == waiting
    fourth = visit(case_id, 4, 0.61, business_operating=True)
    await service.deliver(fourth)
    await service.processed(fourth)
    waiting["micro_business/monitoring_visit"] = (30_000, "due")
    assert await states(service, grant) == waiting

    # every event delivered again: the inbox has them, nothing changes, nothing is published twice
    for envelope in (completed, first, fourth):
        if envelope is completed:
            await service.deliver_status(envelope)
        else:
            await service.deliver(envelope)
    marker = visit(case_id, 5, 0.1)  # read after the re-deliveries (same key, same partition)
    await service.deliver(marker)
    await service.processed(marker)
    assert await states(service, grant) == waiting
    # the outbox holds every event grants ever queued for the case (the relay marks them sent)
    queued = await service.pool.fetch("SELECT payload FROM outbox WHERE key = $1 ORDER BY id", str(case_id))
    types = [Envelope.model_validate_json(r["payload"]).type for r in queued]
    assert types == ["GrantOpened", *["InstallmentDue"] * 5]
    due = await due_events(service, case_id, at_least=6)
    assert sorted(map(str, due)) == sorted(str(i) for i in ids.values())


async def test_a_re_migrated_returnee_s_waiting_installments_are_cancelled_and_released(
    service: GrantsService,
) -> None:
    case_id, grant = await opened(service)
    programme = await service.get(f"/v1/programmes/{PROGRAMME}")
    available_before = programme["balances"][0]["available"]

    gone = visit(case_id, 1, 0.3, business_operating=False, re_migrated=True)
    await service.deliver(gone)
    await service.processed(gone)
    assert await states(service, grant) == {
        "micro_business/on_approval": (40_000, "due"),
        "vocational_training/on_approval": (30_000, "due"),
        "vocational_training/referral_completed": (30_000, "cancelled"),
        "micro_business/business_operating": (30_000, "cancelled"),
        "micro_business/monitoring_visit": (30_000, "cancelled"),
    }
    programme = await service.get(f"/v1/programmes/{PROGRAMME}")
    assert programme["balances"][0]["available"] == available_before + 90_000
    # a completion arriving afterwards cannot bring a cancelled installment back
    late = referral(case_id, Category.VOCATIONAL_TRAINING, ReferralStatus.COMPLETED)
    await service.deliver_status(late)
    await service.processed(late)
    assert (await states(service, grant))["vocational_training/referral_completed"][1] == "cancelled"

    events = await service.published(case_id, at_least=4)
    cancelled = [e.data for e in events if e.type == "InstallmentCancelled"]
    assert sorted(
        (c["assistance_type"], c["milestone"], c["released"]["amount"], c["reason"]) for c in cancelled
    ) == [
        ("micro_business", "business_operating", 30_000, "re_migrated"),
        ("micro_business", "monitoring_visit", 30_000, "re_migrated"),
        ("vocational_training", "referral_completed", 30_000, "re_migrated"),
    ]
    releases = await service.pool.fetch(
        "SELECT t.memo, t.recorded_at, sum(e.amount) FILTER (WHERE e.direction = 'debit') AS debits,"
        " sum(e.amount) FILTER (WHERE e.direction = 'credit') AS credits"
        " FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id"
        " WHERE t.grant_id = $1 AND t.kind = 'release' GROUP BY t.id, t.memo ORDER BY t.memo",
        UUID(grant["id"]),
    )
    assert [(r["memo"], r["debits"], r["credits"]) for r in releases] == [
        (f"installment {n} cancelled: re_migrated", 30_000, 30_000) for n in (3, 4, 5)
    ]
    # the three releases were posted in one append (one chain-head lock), so at one recorded time
    assert len({r["recorded_at"] for r in releases}) == 1

    context = service.context
    assert await sign_checkpoint_if_due(context, shutdown=True) is not None

    async def verified() -> bool:
        verdict = await verify_database_chain(context.pool, context.signing.public_keys)
        return verdict.ok and verdict.covered_entries == verdict.entries_checked

    assert await eventually(verified, what="the ledger verifying against its latest checkpoint")


async def test_a_grant_awaiting_funding_when_the_returnee_re_migrated_opens_without_what_waits(
    service: GrantsService,
) -> None:
    """DE-STARTHILFEPLUS (unfunded in this module until now): half on approval, half 180 days after
    arrival. The re-migration arrives while the grant waits for funding; when funding opens it, the
    half that waits is cancelled and released at once."""
    approved = plan("DE-STARTHILFEPLUS", [40], {T.CASH: 100_000}, arrival=service.clock.today)
    await service.deliver(plan_approved(approved))
    grant = await service.grant_of(approved.case_id)
    assert grant["status"] == "awaiting_funding"
    gone = visit(approved.case_id, 1, 0.2, re_migrated=True)
    await service.deliver(gone)
    await service.processed(gone)
    assert (await service.get(f"/v1/grants/{grant['id']}"))["status"] == "awaiting_funding"

    await service.fund("DE-STARTHILFEPLUS", 1_000_000)
    assert await states(service, grant) == {
        "cash/on_approval": (50_000, "due"),
        "cash/days_after_arrival": (50_000, "cancelled"),
    }
    programme = await service.get("/v1/programmes/DE-STARTHILFEPLUS")
    assert programme["balances"][0]["available"] == 1_000_000 - 50_000

"""Intake's and partners' events as the referral tests send them."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from shared.events import (
    Category,
    Envelope,
    ErasureReason,
    Relationship,
    Sex,
    Urgency,
    Vulnerability,
    new_envelope,
)
from shared.events.intake import (
    CaseClosed,
    ConsentChanged,
    HouseholdMember,
    NeedsAssessed,
    PersonalDataErased,
    PlannedAssistance,
    ReintegrationPlanApproved,
    ReturneeRegistered,
    WorkExperience,
)
from shared.events.referral import ReferralAccepted, ReferralCompleted, ReferralDeclined
from shared.money import Money

from .recorder import Seen

ADULT_WOMAN = HouseholdMember(age=31, sex=Sex.FEMALE, relationship=Relationship.PRINCIPAL)
DAUGHTER = HouseholdMember(age=10, sex=Sex.FEMALE, relationship=Relationship.CHILD, school_level="primary")


def needs_assessed(
    *,
    municipality: str,
    needs: list[Category],
    consent: dict[Category, bool] | None = None,
    vulnerabilities: list[Vulnerability] | None = None,
    household: list[HouseholdMember] | None = None,
    case_id: UUID | None = None,
    urgency: Urgency = Urgency.NORMAL,
) -> Envelope:
    case = case_id or uuid4()
    event = NeedsAssessed(
        case_id=case,
        programme_id="NL-AVRR",
        municipality=municipality,
        household=household or [ADULT_WOMAN, DAUGHTER],
        vulnerabilities=vulnerabilities or [],
        needs=needs,
        consent=consent if consent is not None else dict.fromkeys(needs, True),
        skills=["tailoring", "bookkeeping"],
        work_history=[WorkExperience(sector="textiles", years=4)],
        assessed_by="caseworker-7",
        urgency=urgency,
    )
    return new_envelope(event, key=case, producer="intake")


def returnee_registered(case_id: UUID, needs: list[Category], municipality: str = "bitola") -> Envelope:
    event = ReturneeRegistered(
        case_id=case_id,
        programme_id="DE-STARTHILFEPLUS",
        municipality=municipality,
        household=[ADULT_WOMAN],
        needs=needs,
        consent=dict.fromkeys(needs, True),
        country_of_return="MK",
        sending_country="DE",
        arrival_date=date(2025, 2, 14),
        registered_by="caseworker-7",
    )
    return new_envelope(event, key=case_id, producer="intake")


def plan_approved(case_id: UUID) -> Envelope:
    event = ReintegrationPlanApproved(
        case_id=case_id,
        plan_id=uuid4(),
        programme_id="DE-STARTHILFEPLUS",
        arrival_date=date(2025, 2, 14),
        household=[ADULT_WOMAN],
        adults=1,
        children=0,
        assistance=[
            PlannedAssistance(assistance_type="cash", requested=Money(amount=100_000, currency="EUR"))
        ],
        approved_by="supervisor-2",
    )
    return new_envelope(event, key=case_id, producer="intake")


def consent_changed(case_id: UUID, consent: dict[Category, bool], **changes: list[Category]) -> Envelope:
    event = ConsentChanged(case_id=case_id, consent=consent, recorded_by="caseworker-7", **changes)
    return new_envelope(event, key=case_id, producer="intake")


def case_closed(case_id: UUID) -> Envelope:
    return new_envelope(
        CaseClosed(case_id=case_id, reason="reintegrated", closed_by="caseworker-7"),
        key=case_id,
        producer="intake",
    )


def answer(issued: Seen, decision: str, *, partner_id: str | None = None) -> Envelope:
    """A partner's answer to a ReferralIssued record, as a well-behaved partner writes it."""
    data = issued.data
    ids = {
        "referral_id": data["referral_id"],
        "case_id": data["case_id"],
        "partner_id": partner_id or data["partner_id"],
    }
    if decision == "accept":
        event: ReferralAccepted | ReferralDeclined | ReferralCompleted = ReferralAccepted(**ids)
    elif decision == "decline":
        event = ReferralDeclined(**ids, reason="no family rooms free")
    else:
        event = ReferralCompleted(**ids, outcome="placed")
    incoming = Envelope.model_validate(issued.envelope)
    return new_envelope(event, key=data["case_id"], producer=ids["partner_id"], causation=incoming)


def personal_data_erased(case_id: UUID, reason: ErasureReason = ErasureReason.RETENTION_ENDED) -> Envelope:
    return new_envelope(PersonalDataErased(case_id=case_id, reason=reason), key=case_id, producer="intake")

"""The partner contract as code: which envelopes travel on which topic, declared on the broker.

The publishers declared here document; they never send (real publishing goes through the outbox).
`asyncapi.py` turns the broker into the AsyncAPI document partners build against, so the document
is generated from these declarations and from the event and payload models themselves.
"""

from __future__ import annotations

from typing import Any, Literal, Union

from faststream.kafka import KafkaBroker
from pydantic import BaseModel, Field, create_model

from shared.events import Envelope, Event
from shared.events.referral import (
    ErasureRequested,
    ReferralAccepted,
    ReferralCompleted,
    ReferralDeclined,
    ReferralEscalated,
    ReferralHeld,
    ReferralIssued,
    ReferralReleased,
    ReferralStatusChanged,
    ReferralWithdrawn,
)
from shared.topics import Topics

from .core.directory import Directory
from .core.payloads import (
    ArrivalPayload,
    CarePayload,
    EducationPayload,
    EmploymentPayload,
    HousingPayload,
    MicroBusinessPayload,
    ReceptionPayload,
    VocationalTrainingPayload,
)

# ReferralIssued as partners see it: `payload` is one of the per-category shapes, nothing else.
ReferralIssuedData: type[BaseModel] = create_model(
    "ReferralIssued",
    __base__=ReferralIssued,
    payload=(
        Union[  # noqa: UP007
            HousingPayload,
            EducationPayload,
            EmploymentPayload,
            VocationalTrainingPayload,
            MicroBusinessPayload,
            CarePayload,
            ReceptionPayload,
            ArrivalPayload,
        ],
        Field(
            description="Only what the category may see: housing → HousingPayload, education → "
            "EducationPayload, employment → EmploymentPayload, vocational_training → "
            "VocationalTrainingPayload, micro_business → MicroBusinessPayload, medical and counselling "
            "→ CarePayload, airport_reception → ReceptionPayload, transport → ArrivalPayload. "
            "Never a name or a contact: no category declares a phone number or an address, so none "
            "is sent even where the returnee gave one to the office. The payload is the case as it stood "
            "when the referral was issued: a later household change (intake's HouseholdChanged) reaches the "
            "referrals issued after it — a re-route, a new category — not one already issued. "
            "A vulnerability only where the category declares it (the "
            "payload's `vulnerabilities`), and only with the returnee's consent to share with that "
            "category; urgency is `priority`. Reception and transport are issued when a return is "
            "announced; their `respond_by` is at least the partner's answer_before_arrival_hours "
            "before the scheduled arrival. The family is recognised by the ReceptionPayload's "
            "`meeting_code`, never by a name (see ReceptionPayload). A changed flight withdraws the "
            "referral (ReferralWithdrawn, reason `arrival_rescheduled`) and issues a new one with a "
            "new referral id, the new flight and deadline: the types every partner already acts on, "
            "rather than a new event type a partner built before it would skip and so meet the old "
            "flight. A cancelled or missed arrival withdraws it (`arrival_cancelled`, "
            "`arrival_missed`); a confirmed arrival withdraws one nobody accepted (`arrival_confirmed`)."
        ),
    ),
)


def envelope_of(event: type[Event], data: type[BaseModel] | None = None) -> type[Envelope]:
    """The envelope model of one event type: `type` fixed to it and `data` its model."""
    model: type[Envelope] = create_model(
        f"{event.__name__}Envelope",
        __base__=Envelope,
        __doc__=f"A {event.event_type} event in Homeward's envelope (key: the case id).",
        type=(Literal[event.event_type], ...),  # type: ignore[arg-type]
        data=(data or event, ...),
    )
    return model


def _one_of(*models: type[Envelope]) -> Any:
    return Union[models]  # noqa: UP007


PARTNER_TOPIC_MESSAGES = _one_of(
    envelope_of(ReferralIssued, ReferralIssuedData),
    envelope_of(ReferralWithdrawn),
    envelope_of(ErasureRequested),
)
RESPONSE_MESSAGES = _one_of(
    envelope_of(ReferralAccepted), envelope_of(ReferralDeclined), envelope_of(ReferralCompleted)
)
STATUS_MESSAGES = _one_of(
    envelope_of(ReferralStatusChanged),
    envelope_of(ReferralEscalated),
    envelope_of(ReferralHeld),
    envelope_of(ReferralReleased),
)


def declare_contract(broker: KafkaBroker, topics: Topics, directory: Directory) -> None:
    """Declare every topic referral writes, and the ones partners write, for the document."""
    for partner in sorted(directory.partners, key=lambda p: p.id):
        served = ", ".join(c.value for c in partner.categories)
        topic = topics.partner(partner.id).name
        answers = topics.partner_responses(partner.id).name
        broker.publisher(
            topic,
            title=topic,
            description=f"Referrals for {partner.name} ({served}), keyed by case id. Only this partner "
            f"reads it. ReferralIssued asks for an answer on {answers} by `respond_by`; "
            "ReferralWithdrawn ends a referral (consent withdrawn, need removed, case closed, a caseworker's "
            "reason, re-routed to another partner); "
            "ErasureRequested asks to delete everything held about the case (its personal data was "
            "erased, or consent to share with this category withdrawn) and needs no answer. At least "
            "once: the same event (same event_id) may arrive twice; act on an event_id once.",
            schema=PARTNER_TOPIC_MESSAGES,
        )
        broker.publisher(
            answers,
            title=f"{answers}:written-by-{partner.id}",
            description=f"{partner.name} answers here: with its own login (no other partner's may write "
            "this topic), or on Homeward's partner portal, where its signed-in staff's answers are written "
            "here for it, the same messages: every answer on it is taken as this partner's. Keyed by "
            "case id, with "
            "`correlation_id` copied from the referral, `causation_id` = the ReferralIssued event_id, "
            f"`producer` and `data.partner_id` = {partner.id!r}. Accept or decline an issued referral, "
            "then complete an accepted one. An answer about a referral sent to another partner, or one "
            "the referral's state does not allow, is dead-lettered with the reason; an answer repeated "
            "(accepted twice, completed twice) changes nothing.",
            schema=RESPONSE_MESSAGES,
        )
    broker.publisher(
        topics.referral_responses.name,
        title=f"{topics.referral_responses.name}:written-by-partners",
        description="DEPRECATED: answer on your own topic referral.responses.<partner_id>.v1 instead. "
        "Still read during the deprecation period, where the partner named in the answer must be the "
        "one the referral was sent to; every answer here is logged as deprecated. Same messages as on "
        "the partners' own topics.",
        schema=RESPONSE_MESSAGES,
    )
    broker.publisher(
        topics.referral_status.name,
        title=topics.referral_status.name,
        description="Every referral status change (for intake's case timeline), keyed by case id; "
        "ReferralEscalated when a partner has not answered by the deadline; ReferralHeld and "
        "ReferralReleased when a caseworker holds an escalated referral (no automatic re-route at its "
        "second deadline) or releases it. A caseworker's withdrawal carries its reason code; a "
        "re-route is the old referral withdrawn (`rerouted`, or `no_answer_rerouted` when the service "
        "re-routed it at the second deadline) and a new one, naming it as previous; a placement by hand "
        "or once a place freed is the unplaced referral issued (`placed_by_hand`, `place_freed`). "
        "Not for partners.",
        schema=STATUS_MESSAGES,
    )

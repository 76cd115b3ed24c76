"""The event envelope: the public contract partners build on."""

from __future__ import annotations

import json
import os
import time
from uuid import UUID, uuid4

import pytest
from pydantic import BaseModel

from services.referral.core.payloads import ArrivalPayload, ReceptionPayload
from shared.events import (
    Envelope,
    MalformedEvent,
    UnknownEventType,
    current_correlation_id,
    new_envelope,
    parse_envelope,
    registered_event_types,
    uuid7,
)
from shared.events.ids import uuid7_time_ms
from shared.events.intake import (
    ArrivalAnnounced,
    ArrivalCancelled,
    ArrivalConfirmed,
    ArrivalMissed,
    ArrivalRescheduled,
    CaseClosed,
    HouseholdMember,
    NeedsAssessed,
    ReturneeRegistered,
)
from shared.events.referral import ReferralIssued


def closed(case: UUID | None = None) -> CaseClosed:
    return CaseClosed(case_id=case or uuid4(), reason="reintegrated", closed_by="user-7")


def test_uuid7_has_version_7_and_the_rfc_variant() -> None:
    value = uuid7()
    assert value.version == 7
    assert value.variant == "specified in RFC 4122"


def test_uuid7_carries_the_creation_time_and_sorts_by_it() -> None:
    before = time.time_ns() // 1_000_000
    first = second = uuid7()
    while uuid7_time_ms(second) == uuid7_time_ms(first):  # the next millisecond (< 1 ms of spinning)
        second = uuid7()
    assert before <= uuid7_time_ms(first) <= uuid7_time_ms(second)
    assert first < second


def test_uuid7_ids_are_distinct_and_a_forked_child_draws_other_random_bits_than_its_parent() -> None:
    ids = [uuid7() for _ in range(5_000)]  # several of the buffered draws of random bits
    assert len(set(ids)) == len(ids)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its next id's random bits, then out without running the session's exit
        os.write(write, uuid7().bytes[6:])
        os._exit(0)
    os.close(write)
    mine = uuid7().bytes[6:]  # the parent's next one, from the same point of its draw
    theirs = os.read(read, 16)
    os.close(read)
    os.waitpid(child, 0)
    assert theirs
    assert theirs != mine


def test_new_envelope_refuses_an_empty_key() -> None:
    with pytest.raises(ValueError, match="key"):
        new_envelope(closed(), key="", producer="intake")


def test_the_envelope_has_exactly_the_fields_of_the_design() -> None:
    envelope = new_envelope(closed(), key="case-1", producer="intake")
    document = json.loads(envelope.to_bytes())
    assert set(document) == {
        "event_id",
        "type",
        "schema_version",
        "occurred_at",
        "key",
        "correlation_id",
        "causation_id",
        "producer",
        "data",
    }
    assert document["type"] == "CaseClosed"
    assert document["schema_version"] == 1
    assert document["occurred_at"].endswith("Z")


def test_an_envelope_round_trips_to_its_typed_event() -> None:
    event = closed()
    envelope = new_envelope(event, key=event.case_id, producer="intake")
    parsed = parse_envelope(envelope.to_bytes())
    assert parsed == envelope
    assert parsed.event() == event
    assert parsed.event_as(CaseClosed).closed_by == "user-7"


def test_a_new_conversation_is_correlated_to_its_first_event() -> None:
    envelope = new_envelope(closed(), key="k", producer="intake")
    assert envelope.correlation_id == envelope.event_id
    assert envelope.causation_id is None


def test_an_event_caused_by_another_carries_its_correlation_and_causation() -> None:
    first = new_envelope(closed(), key="k", producer="intake")
    second = new_envelope(closed(), key="k", producer="referral", causation=first)
    assert second.correlation_id == first.correlation_id
    assert second.causation_id == first.event_id


def test_the_current_request_correlation_id_is_inherited() -> None:
    correlation = uuid4()
    token = current_correlation_id.set(correlation)
    try:
        assert new_envelope(closed(), key="k", producer="intake").correlation_id == correlation
    finally:
        current_correlation_id.reset(token)


def test_consumers_ignore_fields_added_later_within_a_version() -> None:
    envelope = new_envelope(closed(), key="k", producer="intake")
    document = json.loads(envelope.to_bytes())
    document["data"]["added_in_a_later_release"] = 42
    document["added_to_the_envelope_too"] = True
    assert parse_envelope(json.dumps(document)).event() == envelope.event()


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"[]", b'{"type": "CaseClosed"}', b'{"event_id": "x", "type": 1}'],
)
def test_bytes_that_are_not_an_envelope_are_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedEvent):
        parse_envelope(raw)


def test_data_that_does_not_fit_its_type_is_malformed_and_names_the_field() -> None:
    envelope = new_envelope(closed(), key="k", producer="intake")
    broken = Envelope.model_validate({**envelope.model_dump(), "data": {"case_id": "nope", "reason": "x"}})
    with pytest.raises(MalformedEvent, match="case_id"):
        broken.event()


def test_an_unknown_type_is_refused() -> None:
    envelope = new_envelope(closed(), key="k", producer="intake")
    stranger = Envelope.model_validate({**envelope.model_dump(), "type": "SomethingElse"})
    with pytest.raises(UnknownEventType):
        stranger.event()


def test_every_event_of_the_topic_table_is_registered() -> None:
    assert {
        "ReturneeRegistered",
        "NeedsAssessed",
        "ConsentChanged",
        "ReintegrationPlanApproved",
        "CaseClosed",
        "ReferralIssued",
        "ReferralWithdrawn",
        "ReferralAccepted",
        "ReferralDeclined",
        "ReferralCompleted",
        "ReferralStatusChanged",
        "ReferralEscalated",
        "GrantOpened",
        "InstallmentApproved",
        "InstallmentDisbursed",
        "InstallmentFailed",
        "GrantClosed",
        "ArrivalAnnounced",
        "ArrivalRescheduled",
        "ArrivalCancelled",
        "ArrivalMissed",
        "ArrivalConfirmed",
    } <= set(registered_event_types())


def test_intake_events_have_no_field_for_personal_data() -> None:
    personal = {
        "name",
        "first_name",
        "last_name",
        "full_name",
        "phone",
        "email",
        "address",
        "date_of_birth",
        "document_number",
        "document_type",
    }

    def field_names(model: type[BaseModel]) -> set[str]:
        names = set(model.model_fields)
        for field in model.model_fields.values():
            inner = getattr(field.annotation, "__args__", (field.annotation,))
            for candidate in inner:
                if isinstance(candidate, type) and hasattr(candidate, "model_fields"):
                    names |= field_names(candidate)
        return names

    arrivals = (ArrivalAnnounced, ArrivalRescheduled, ArrivalCancelled, ArrivalMissed, ArrivalConfirmed)
    payloads = (ReceptionPayload, ArrivalPayload)
    for model in (ReturneeRegistered, NeedsAssessed, HouseholdMember, ReferralIssued, *arrivals, *payloads):
        assert not field_names(model) & personal, model.__name__

"""The public event contract: the envelope, the codes, and every event model by producer.

Importing this package registers every event type, so `Envelope.event()` can decode any of them.
"""

from . import duplicates, grants, intake, referral
from .codes import (
    AssistanceType,
    CancellationReason,
    Category,
    ClosureReason,
    Dimension,
    DisbursementMethod,
    ErasureReason,
    Milestone,
    Priority,
    ReferralStatus,
    Relationship,
    Sex,
    Urgency,
    Vulnerability,
)
from .envelope import (
    Envelope,
    Event,
    MalformedEvent,
    UnknownEventType,
    current_correlation_id,
    event_model,
    new_envelope,
    parse_envelope,
    registered_event_types,
)
from .ids import uuid7

__all__ = [
    "AssistanceType",
    "CancellationReason",
    "Category",
    "ClosureReason",
    "Dimension",
    "DisbursementMethod",
    "Envelope",
    "ErasureReason",
    "Event",
    "MalformedEvent",
    "Milestone",
    "Priority",
    "ReferralStatus",
    "Relationship",
    "Sex",
    "UnknownEventType",
    "Urgency",
    "Vulnerability",
    "current_correlation_id",
    "duplicates",
    "event_model",
    "grants",
    "intake",
    "new_envelope",
    "parse_envelope",
    "referral",
    "registered_event_types",
    "uuid7",
]

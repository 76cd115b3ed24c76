"""The envelope every event travels in (DESIGN rule 5), and the registry from `type` to model.

    {event_id (UUIDv7), type, schema_version, occurred_at, key, correlation_id, causation_id,
     producer, data}

An event model subclasses `Event` and names its `event_type`; defining the class registers it.
Within a topic version changes are additive: consumers ignore fields they do not know.
"""

from __future__ import annotations

import builtins
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.poison import Poison

from .ids import uuid7

# Set per HTTP request and per consumed message; new envelopes inherit it.
current_correlation_id: ContextVar[UUID | None] = ContextVar("current_correlation_id", default=None)

_REGISTRY: dict[str, type[Event]] = {}

E = TypeVar("E", bound="Event")


class Event(BaseModel):
    """The `data` of an envelope. Subclasses set `event_type` (and `schema_version` when it grows)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        event_type = cls.__dict__.get("event_type")
        if event_type is None:
            return  # an abstract base shared by several events
        if event_type in _REGISTRY and _REGISTRY[event_type].__qualname__ != cls.__qualname__:
            raise TypeError(f"event type {event_type!r} is registered twice")
        _REGISTRY[event_type] = cls


class UnknownEventType(ValueError):
    pass


class MalformedEvent(Poison, ValueError):
    """The bytes are not an envelope, or its data does not fit the model of its type."""


def event_model(event_type: str) -> type[Event]:
    try:
        return _REGISTRY[event_type]
    except KeyError:
        raise UnknownEventType(f"unknown event type {event_type!r}") from None


def registered_event_types() -> dict[str, type[Event]]:
    return dict(_REGISTRY)


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: UUID
    type: str
    schema_version: int = Field(ge=1)
    occurred_at: datetime
    key: str = Field(min_length=1)
    correlation_id: UUID
    causation_id: UUID | None = None
    producer: str
    data: dict[str, Any]

    def event(self) -> Event:
        """The typed data; raises MalformedEvent when it does not fit."""
        model = event_model(self.type)
        try:
            return model.model_validate(self.data)
        except ValidationError as error:
            raise MalformedEvent(f"{self.type} data does not validate: {_first_errors(error)}") from error

    def event_as(self, model: builtins.type[E]) -> E:
        event = self.event()
        if not isinstance(event, model):
            raise MalformedEvent(f"expected {getattr(model, 'event_type', model.__name__)}, got {self.type}")
        return event

    def to_bytes(self) -> bytes:
        # pydantic's serializer writes the JSON bytes directly (model_dump_json makes a str first)
        return self.__pydantic_serializer__.to_json(self)

    def header_values(self) -> dict[str, str]:
        """`kafka_headers` as text (what an outbox row stores)."""
        return {
            "event_type": self.type,
            "event_id": str(self.event_id),
            "correlation_id": str(self.correlation_id),
            "producer": self.producer,
        }

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        """Headers a consumer can route and log by without parsing the value."""
        return [(name, value.encode()) for name, value in self.header_values().items()]


def new_envelope(
    event: Event,
    *,
    key: str | UUID,
    producer: str,
    causation: Envelope | None = None,
    correlation_id: UUID | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    """Wrap `event`. The correlation id comes from, in order: the argument, the event that caused
    this one, the current request or message, or (a new conversation) this event's own id."""
    event_id = uuid7()
    correlation = (
        correlation_id
        or (causation.correlation_id if causation else None)
        or current_correlation_id.get()
        or event_id
    )
    # validated from a dict (pydantic's validator straight away: measured faster than the keyword
    # constructor, and than model_construct, which loops over the fields in Python)
    return Envelope.model_validate(
        {
            "event_id": event_id,
            "type": event.event_type,
            "schema_version": event.schema_version,
            "occurred_at": occurred_at or datetime.now(UTC),
            "key": str(key),
            "correlation_id": correlation,
            "causation_id": causation.event_id if causation else None,
            "producer": producer,
            "data": event.model_dump(mode="json"),
        }
    )


def parse_envelope(raw: bytes | str) -> Envelope:
    try:
        return Envelope.model_validate_json(raw)
    except ValidationError as error:
        raise MalformedEvent(f"not an event envelope: {_first_errors(error)}") from error


def _first_errors(error: ValidationError, limit: int = 5) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in error.errors()[:limit]]
    return "; ".join(parts)

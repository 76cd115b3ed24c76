"""Which faults are transient: the database or broker is away for a moment, and the same work will
succeed once it is back.

Only what gets logged depends on it: a transient fault is retried quietly (a warning), anything else
that is not poison (`shared.poison`) is retried the same way but raised as an alert. Whether a
message is dead-lettered never depends on it."""

from __future__ import annotations

import asyncio

import asyncpg
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError, NotEnoughReplicasError


class TransientError(Exception):
    """Raise it to say "try again later" about a fault the classifier below cannot see."""


_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    TransientError,
    ConnectionError,  # refused, reset, aborted: the database or broker is away
    TimeoutError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,  # the connection dropped mid-query
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.TooManyConnectionsError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, query cancelled
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    KafkaConnectionError,
    KafkaTimeoutError,
    NotEnoughReplicasError,
)


def is_transient(error: BaseException) -> bool:
    if isinstance(error, _TRANSIENT_TYPES):
        return True
    # what Kafka itself calls retriable: a leader moving, a request timing out, a node not ready
    if isinstance(error, KafkaError) and error.retriable:
        return True
    # asyncpg reports "connection is closed" on a dead pooled connection as an InterfaceError
    if isinstance(error, asyncpg.InterfaceError) and "connection" in str(error).lower():
        return True
    # a pooled connection the server has just terminated (a restart) can be handed out before
    # asyncpg has seen it close: its next query fails with this protocol-state error, not a
    # connection error — dead-lettering the message for it would lose a valid event
    if isinstance(error, asyncpg.InternalClientError) and "another operation" in str(error):
        return True
    # a wrapped cause (e.g. raised from inside a handler helper) counts too
    cause = error.__cause__ or error.__context__
    return cause is not None and cause is not error and isinstance(cause, _TRANSIENT_TYPES)

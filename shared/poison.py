"""What a consumer may dead-letter: only a message that a rule names as one that can never be applied.

A handler raises a `Poison` (or a subclass: a malformed event, a refused transition, a rule broken,
an unknown case) for a message that will fail the same way however often it is read again. Anything
else — a database that is read-only after a failover, a full disk, a missing table, a bug — is not
the message's fault: the consumer retries it with backoff and raises an alert, and never
dead-letters it. Pure: no I/O library is imported here, so the event contract can use it.
"""

from __future__ import annotations


class Poison(Exception):
    """This message can never be applied: dead-letter it, with this error as the reason."""


def is_poison(error: BaseException) -> bool:
    """True for a `Poison`, also when it was raised from inside a helper and wrapped (`raise ... from`)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, Poison):
            return True
        seen.add(id(current))
        current = current.__cause__
    return False

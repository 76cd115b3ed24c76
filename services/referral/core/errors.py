"""Referral's domain errors: what a consumer raises for a message that can never be applied.

Each is a `shared.poison.Poison`, so the consumer dead-letters the message with this error's type
and text as the reason (partners and operators read both: keep the texts stable). ValueError stays
a second base for callers that catch it.
"""

from __future__ import annotations

from shared.poison import Poison


class RefusedTransition(Poison, ValueError):
    """The event asks for something the referral's state does not allow; the message says why."""


class UnknownReferral(RefusedTransition):
    """A partner answered about a referral this service never issued."""


class WrongPartner(RefusedTransition):
    """A partner answered about a referral that was sent to another partner (or to none)."""


class UnexpectedEvent(Poison, ValueError):
    """An event type that has no business on the topic it arrived on."""


class NotInScope(LookupError):
    """A referral (or case) the user may not see, or that does not exist: the same answer for both
    (404), so that nobody learns another programme's cases exist. Not a poison: no consumer raises it."""

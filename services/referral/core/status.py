"""The referral status machine, pure.

    issued ──► accepted ──► completed
      │  ╲         ╲
      │   ╲         └──► withdrawn
      │    └──► declined            (→ a new referral to the next eligible partner)
      ├──► withdrawn
      └──► escalated ──► accepted | declined | withdrawn   (deadline passed, still answerable)
    unplaced | needs_consent ──► issued | unplaced | needs_consent | withdrawn

A move the machine does not allow raises `RefusedTransition` with the reason; the consumer lets it
propagate, so the message is dead-lettered with that reason in its headers. A partner's answer that
repeats what the referral already is (accepted twice, completed twice, an acceptance read again
after the completion) changes nothing and is no dead letter: partners receive referrals at least
once, and an answer sent again to a referral read again is no fault, nor a reason to alert anyone.
Nor is an answer to a referral the office withdrew: the partner answered before the withdrawal reached
it (the returnee arrived, the case closed, consent was withdrawn while the partner was deciding), and
the withdrawal it will read tells it the rest.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from shared.events.codes import Category, ReferralStatus
from shared.events.referral import PartnerResponse, ReferralAccepted, ReferralCompleted, ReferralDeclined

from .errors import RefusedTransition, WrongPartner

S = ReferralStatus

# held by a partner: these take a place in the partner's capacity
OPEN = frozenset({S.ISSUED, S.ESCALATED, S.ACCEPTED})
# waiting for a partner with room, or for consent
PENDING = frozenset({S.UNPLACED, S.NEEDS_CONSENT})
# the category needs no new referral while one of these stands
SETTLED = OPEN | {S.COMPLETED}
FINAL = frozenset({S.DECLINED, S.COMPLETED, S.WITHDRAWN})

ALLOWED: Mapping[ReferralStatus, frozenset[ReferralStatus]] = {
    S.ISSUED: frozenset({S.ACCEPTED, S.DECLINED, S.WITHDRAWN, S.ESCALATED}),
    S.ESCALATED: frozenset({S.ACCEPTED, S.DECLINED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.COMPLETED, S.WITHDRAWN}),
    S.UNPLACED: frozenset({S.ISSUED, S.NEEDS_CONSENT, S.WITHDRAWN}),
    S.NEEDS_CONSENT: frozenset({S.ISSUED, S.UNPLACED, S.WITHDRAWN}),
    S.DECLINED: frozenset(),
    S.COMPLETED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

RESPONSE_STATUS: Mapping[type[PartnerResponse], ReferralStatus] = {
    ReferralAccepted: S.ACCEPTED,
    ReferralDeclined: S.DECLINED,
    ReferralCompleted: S.COMPLETED,
}


# answer → the statuses in which it has already been given (so it repeats the referral's history);
# completed implies accepted, since only an accepted referral completes
ALREADY_ANSWERED: Mapping[ReferralStatus, frozenset[ReferralStatus]] = {
    S.ACCEPTED: frozenset({S.ACCEPTED, S.COMPLETED}),
    S.DECLINED: frozenset({S.DECLINED}),
    S.COMPLETED: frozenset({S.COMPLETED}),
}


class Unchanged(StrEnum):
    """Why a partner's answer changes nothing (and is no dead letter)."""

    REPEAT = "repeat"  # it repeats what the referral already is
    WITHDRAWN = "withdrawn"  # the office withdrew the referral before the answer came


@dataclass(frozen=True)
class ReferralState:
    referral_id: UUID
    case_id: UUID
    category: Category
    partner_id: str | None
    status: ReferralStatus


def move(state: ReferralState, target: ReferralStatus) -> ReferralStatus:
    """`target`, if the machine allows it from `state.status`; RefusedTransition otherwise."""
    if target not in ALLOWED[state.status]:
        raise RefusedTransition(
            f"referral {state.referral_id} is {state.status.value}: it cannot become {target.value}"
        )
    return target


def respond(state: ReferralState, response: PartnerResponse, partner_id: str) -> ReferralStatus | Unchanged:
    """The status the answer of partner `partner_id` moves the referral to, after checking the
    referral is that partner's; why it changes nothing when it repeats what the referral already is
    or comes after the referral was withdrawn.

    `partner_id` is who answered, as the channel says (the partner's own topic): the message's
    `partner_id` field must agree with it, but never decides it."""
    if response.partner_id != partner_id:
        raise WrongPartner(
            f"the answer names partner {response.partner_id!r} but came from partner {partner_id!r}"
        )
    if state.partner_id is None or partner_id != state.partner_id:
        raise WrongPartner(
            f"referral {state.referral_id} was not sent to partner {partner_id!r}"
            + (f" (it was sent to {state.partner_id!r})" if state.partner_id else " (it is not placed)")
        )
    if response.case_id != state.case_id:
        raise RefusedTransition(f"referral {state.referral_id} does not belong to case {response.case_id}")
    if state.status is S.WITHDRAWN:
        return Unchanged.WITHDRAWN
    target = RESPONSE_STATUS[type(response)]
    if state.status in ALREADY_ANSWERED[target]:
        return Unchanged.REPEAT
    return move(state, target)


@dataclass(frozen=True)
class Withdrawal:
    referral_id: UUID
    reason: str


def to_withdraw(
    referrals: Iterable[ReferralState],
    *,
    needs: Collection[Category],
    consent: Mapping[Category, bool],
) -> list[Withdrawal]:
    """Referrals that must end because the case no longer needs the category, or its consent to
    share with that category was withdrawn. (A pending one without consent is not withdrawn: it
    becomes `needs_consent` again when re-planned.)"""
    out = []
    for r in referrals:
        if r.status in FINAL:
            continue
        if r.category not in needs:
            out.append(Withdrawal(r.referral_id, "need_removed"))
        elif r.status in OPEN and not consent.get(r.category, False):
            out.append(Withdrawal(r.referral_id, "consent_withdrawn"))
    return out

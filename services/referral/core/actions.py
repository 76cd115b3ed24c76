"""What a caseworker may do with a referral, and what the service does on its own, pure (issue 15).

- withdraw it, with a reason from a closed list (`WithdrawReason`), while it is not final;
- re-route it to another eligible partner (one the routing rules would take: category, municipality,
  eligibility, a place left — never one that declined this case, nor the one holding it now): the
  referral is withdrawn (`rerouted`) and a new one issued to the chosen partner;
- place an unplaced referral by hand, with a partner from the same eligible list;
- hold an escalated referral, so that the automatic re-route at its second deadline skips it, and
  release the hold.

On its own the service re-routes an escalated referral that is not held once its second deadline
has passed (`reroute_due`), and retries unplaced referrals when places free (use_cases/actions.py).
A partner the service re-routed away from because it did not answer, or that the caseworker
withdrew as unresponsive, is passed over by automatic placements of that case and category (it had
its chance); the caseworker may still choose it by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from shared.events.codes import Category, ReferralStatus

from .directory import Directory, Partner
from .errors import RefusedTransition
from .payloads import payload_for
from .referral import Case, Referral
from .routing import Loads, Placement, candidates, priority_for, respond_by
from .status import FINAL, OPEN

S = ReferralStatus


class WithdrawReason(StrEnum):
    """Why a caseworker withdraws a referral (the closed list partners and the timeline read)."""

    RETURNEE_DECLINED = "returnee_declined"
    NO_LONGER_NEEDED = "no_longer_needed"
    WRONG_CATEGORY = "wrong_category"
    PARTNER_UNRESPONSIVE = "partner_unresponsive"
    OTHER = "other"


# the reasons the service itself gives when a referral is withdrawn to go to another partner
REROUTED = "rerouted"  # a caseworker chose another partner
NO_ANSWER_REROUTED = "no_answer_rerouted"  # escalated, not held, and the second deadline passed

# withdrawn for these reasons, the partner is not chosen again automatically for the same need
UNRESPONSIVE = frozenset({WithdrawReason.PARTNER_UNRESPONSIVE.value, NO_ANSWER_REROUTED})

REROUTABLE = OPEN  # issued, escalated or accepted: a partner holds it
PLACEABLE = frozenset({S.UNPLACED})


def check_withdraw(referral: Referral) -> None:
    if referral.status in FINAL:
        raise RefusedTransition(
            f"referral {referral.referral_id} is {referral.status.value}: it can no longer be withdrawn"
        )


def check_reroute(referral: Referral) -> None:
    if referral.status not in REROUTABLE:
        raise RefusedTransition(
            f"referral {referral.referral_id} is {referral.status.value}:"
            " only one a partner holds is re-routed"
        )


def check_place(referral: Referral) -> None:
    if referral.status not in PLACEABLE:
        raise RefusedTransition(
            f"referral {referral.referral_id} is {referral.status.value}:"
            " only an unplaced one is placed by hand"
        )


def check_open_case(case: Case, referral: Referral) -> None:
    if case.closed or case.erased:
        raise RefusedTransition(f"the case of referral {referral.referral_id} is closed: nothing is placed")
    if not case.facts.consent.get(referral.category, False):
        raise RefusedTransition(
            f"the returnee has not consented to share with {referral.category.value} partners"
        )


def declined(referrals: Iterable[Referral], category: Category) -> set[str]:
    """Partners that declined this case's referral in `category`: never offered it again."""
    return {
        r.partner_id
        for r in referrals
        if r.category is category and r.status is S.DECLINED and r.partner_id is not None
    }


def passed_over(referrals: Iterable[Referral], category: Category) -> set[str]:
    """Partners automatic placements skip for this case and category: those that declined, and
    those withdrawn for not answering."""
    held = list(referrals)
    unresponsive = {
        r.partner_id
        for r in held
        if r.category is category
        and r.status is S.WITHDRAWN
        and r.reason in UNRESPONSIVE
        and r.partner_id is not None
    }
    return declined(held, category) | unresponsive


def eligible_partners(
    case: Case, referral: Referral, others: Iterable[Referral], directory: Directory, loads: Loads
) -> list[Partner]:
    """The partners a caseworker may send `referral` to (best first), for a re-route or a placement
    by hand: those the routing rules allow, except any that declined this case in the category and
    the partner holding the referral now. RefusedTransition when the referral cannot move at all."""
    if referral.status not in REROUTABLE | PLACEABLE:
        raise RefusedTransition(
            f"referral {referral.referral_id} is {referral.status.value}: it cannot go to another partner"
        )
    check_open_case(case, referral)
    excluded = declined(others, referral.category)
    if referral.partner_id is not None:
        excluded.add(referral.partner_id)
    return candidates(directory, case.facts, referral.category, loads, excluded)


def chosen(eligible: list[Partner], partner_id: str) -> Partner:
    """The partner the caseworker picked, if it is eligible; why not otherwise."""
    for partner in eligible:
        if partner.id == partner_id:
            return partner
    raise RefusedTransition(
        f"partner {partner_id!r} may not take this referral (the routing rules: category, municipality,"
        " eligibility, a place left, not one that declined this case, not the one holding it)"
    )


def placement_with(partner: Partner, case: Case, category: Category, now: datetime) -> Placement:
    """The referral issued to `partner`, with the payload, priority and deadline routing gives."""
    facts = case.facts
    return Placement(
        category,
        S.ISSUED,
        priority_for(facts.urgency, facts.arrival_date, now.date()),
        partner_id=partner.id,
        respond_by=respond_by(category, partner.categories[category], facts, now),
        payload=payload_for(category, facts),
    )


def check_hold(referral: Referral) -> None:
    if referral.status is not S.ESCALATED:
        raise RefusedTransition(
            f"referral {referral.referral_id} is {referral.status.value}: only an escalated referral is held"
        )
    if referral.held_at is not None:
        raise RefusedTransition(f"referral {referral.referral_id} is already held")


def check_release(referral: Referral) -> None:
    if referral.held_at is None:
        raise RefusedTransition(f"referral {referral.referral_id} is not held")


def reroute_due(referral: Referral, now: datetime, after: timedelta) -> bool:
    """Whether the service re-routes `referral` on its own now: escalated, not held, and its second
    deadline (`after` past the partner's own deadline) has passed."""
    return (
        referral.status is S.ESCALATED
        and referral.held_at is None
        and referral.respond_by is not None
        and referral.respond_by + after <= now
    )

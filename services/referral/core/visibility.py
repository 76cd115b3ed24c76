"""What a reader of referrals may see of one (DESIGN rule 7): pure.

Which partner holds a referral can betray a vulnerability (a safe house's id says "victim of
trafficking"), and so can what it was sent, its deadline (specialised partners answer within a
day) and the partner's own words. Readers who may not see vulnerabilities (`shared.privacy`) see
that a partner holds it, not which: all of that is withheld from them, for every partner alike —
withholding it only for specialised partners would itself give them away.
"""

from __future__ import annotations

from dataclasses import replace

from shared.events.codes import ReferralStatus

from .referral import Referral

# the statuses whose reason is the partner's own free text (a decline's reason, an outcome)
PARTNERS_WORDS = frozenset({ReferralStatus.DECLINED, ReferralStatus.COMPLETED})


def withheld(referral: Referral) -> Referral:
    """`referral` without its partner, payload, deadline and the partner's words."""
    return replace(
        referral,
        partner_id=None,
        payload={},
        respond_by=None,
        reason=None if referral.status in PARTNERS_WORDS else referral.reason,
    )

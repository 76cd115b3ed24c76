"""The words the referral page shows for codes (categories, statuses, priorities, the reasons
referral gives), marked for the catalogues and translated by the page's language. A code without
words here (a partner's own words, a code added later) is shown as it is, made readable."""

from __future__ import annotations

from collections.abc import Mapping

from services.referral.core.actions import NO_ANSWER_REROUTED, REROUTED, WithdrawReason
from shared.events import Category, Priority, ReferralStatus
from shared.http.i18n import N_, gettext
from shared.http.pages import label

CATEGORIES: Mapping[str, str] = {
    Category.HOUSING: N_("Housing"),
    Category.EDUCATION: N_("Education"),
    Category.EMPLOYMENT: N_("Employment"),
    Category.MEDICAL: N_("Medical care"),
    Category.COUNSELLING: N_("Counselling"),
    Category.VOCATIONAL_TRAINING: N_("Vocational training"),
    Category.MICRO_BUSINESS: N_("Micro-business"),
    Category.AIRPORT_RECEPTION: N_("Airport reception"),
    Category.TRANSPORT: N_("Transport"),
}
STATUSES: Mapping[str, str] = {
    ReferralStatus.ISSUED: N_("Issued"),
    ReferralStatus.ACCEPTED: N_("Accepted"),
    ReferralStatus.DECLINED: N_("Declined"),
    ReferralStatus.COMPLETED: N_("Completed"),
    ReferralStatus.WITHDRAWN: N_("Withdrawn"),
    ReferralStatus.ESCALATED: N_("Escalated"),
    ReferralStatus.UNPLACED: N_("Unplaced"),
    ReferralStatus.NEEDS_CONSENT: N_("Needs consent"),
}
PRIORITIES: Mapping[str, str] = {
    Priority.NORMAL: N_("Normal"),
    Priority.HIGH: N_("High"),
    Priority.URGENT: N_("Urgent"),
}
WITHDRAW_REASONS = {
    WithdrawReason.RETURNEE_DECLINED: N_("The returnee declined it"),
    WithdrawReason.NO_LONGER_NEEDED: N_("No longer needed"),
    WithdrawReason.WRONG_CATEGORY: N_("Wrong category"),
    WithdrawReason.PARTNER_UNRESPONSIVE: N_("The partner does not respond"),
    WithdrawReason.OTHER: N_("Other"),
}
# the reasons referral itself gives (use_cases), besides a caseworker's
REASONS = {
    **{code.value: text for code, text in WITHDRAW_REASONS.items()},
    REROUTED: N_("Sent to another partner"),
    NO_ANSWER_REROUTED: N_("No answer by the second deadline: sent to another partner"),
    "placed_by_hand": N_("Placed by a caseworker"),
    "place_freed": N_("Placed when a place freed"),
    "need_removed": N_("The need was removed"),
    "consent_withdrawn": N_("Consent was withdrawn"),
    "case_closed": N_("The case was closed"),
    "personal_data_erased": N_("The personal data were erased"),
    "no answer by the deadline": N_("No answer by the deadline"),
    "arrival_rescheduled": N_("The arrival was rescheduled"),
    "arrival_cancelled": N_("The arrival was cancelled"),
    "arrival_missed": N_("The arrival was missed"),
    "arrival_confirmed": N_("The family arrived"),
}


def words(lang: str, table: Mapping[str, str], code: str | None) -> str:
    if code is None:
        return ""
    known = table.get(code)
    return gettext(lang, known) if known else label(code)

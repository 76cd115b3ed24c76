"""What a page calls a code (`victim_of_trafficking` -> "Victim of trafficking"), in the page's
language.

The catalogue's message for a code is its readable English label, not a key such as
`vulnerability.victim_of_trafficking`: the translator reads the English the page shows, the
English catalogue is the identity, and a code nobody labelled still reads as words (its derived
label) instead of as a key. One code value has one label across the contract (`transport` is the
same word as a need and as a business sector), so labels are kept by value.

The shared contract's codes are labelled here; a service registers its own (`register`) from its
pages' labels module. Each label is marked with `N_` where written, so `make messages` extracts it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from shared.events import codes
from shared.http.i18n import N_
from shared.identity.model import Role
from shared.privacy import Action, Purpose

_LABELS: dict[str, str] = {}  # code value -> its English label, the catalogue's message


class Msg(str):
    """A catalogue message not yet translated (a label, a page message): the page translates it
    into its language when it draws it (the `tr` filter; the form macros do so for choices)."""

    __slots__ = ()


def register(labels: Mapping[StrEnum, str]) -> None:
    """Give codes their labels. A value labelled twice must be labelled alike (one code, one word)."""
    for code, text in labels.items():
        known = _LABELS.get(code.value)
        if known is not None and known != text:
            raise ValueError(f"code {code.value!r} labelled both {known!r} and {text!r}")
        _LABELS[code.value] = text


def derived(value: str) -> str:
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


def label_message(code: object) -> Msg:
    """The catalogue message for `code` (an enum member or its value)."""
    value = str(code.value if isinstance(code, StrEnum) else code)
    return Msg(_LABELS.get(value) or derived(value))


def labelled(enum: type[StrEnum]) -> set[str]:
    """The values of `enum` that have a label (for the test that every code is labelled)."""
    return {code.value for code in enum if code.value in _LABELS}


register(
    {
        codes.Category.HOUSING: N_("Housing"),
        codes.Category.EDUCATION: N_("Education"),
        codes.Category.EMPLOYMENT: N_("Employment"),
        codes.Category.MEDICAL: N_("Medical"),
        codes.Category.COUNSELLING: N_("Counselling"),
        codes.Category.VOCATIONAL_TRAINING: N_("Vocational training"),
        codes.Category.MICRO_BUSINESS: N_("Micro-business"),
        codes.Category.AIRPORT_RECEPTION: N_("Airport reception"),
        codes.Category.TRANSPORT: N_("Transport"),
        codes.BusinessSector.AGRICULTURE: N_("Agriculture"),
        codes.BusinessSector.FOOD_PROCESSING: N_("Food processing"),
        codes.BusinessSector.RETAIL: N_("Retail"),
        codes.BusinessSector.HOSPITALITY: N_("Hospitality"),
        codes.BusinessSector.CRAFTS: N_("Crafts"),
        codes.BusinessSector.CONSTRUCTION: N_("Construction"),
        codes.BusinessSector.REPAIR: N_("Repair"),
        codes.BusinessSector.PERSONAL_SERVICES: N_("Personal services"),
        codes.BusinessSector.OTHER: N_("Other"),
        codes.BusinessPlanStage.IDEA: N_("Idea"),
        codes.BusinessPlanStage.PLAN_DRAFTED: N_("Plan drafted"),
        codes.BusinessPlanStage.PLAN_READY: N_("Plan ready"),
        codes.BusinessPlanStage.TRADING: N_("Trading"),
        codes.Vulnerability.MEDICAL_CONDITION: N_("Medical condition"),
        codes.Vulnerability.UNACCOMPANIED_MINOR: N_("Unaccompanied minor"),
        codes.Vulnerability.VICTIM_OF_TRAFFICKING: N_("Victim of trafficking"),
        codes.Vulnerability.SINGLE_PARENT: N_("Single parent"),
        codes.Vulnerability.ELDERLY: N_("Elderly"),
        codes.Vulnerability.DISABILITY: N_("Disability"),
        codes.Sex.FEMALE: N_("Female"),
        codes.Sex.MALE: N_("Male"),
        codes.Relationship.PRINCIPAL: N_("Principal"),
        codes.Relationship.SPOUSE: N_("Spouse"),
        codes.Relationship.CHILD: N_("Child"),
        codes.Relationship.PARENT: N_("Parent"),
        codes.Relationship.SIBLING: N_("Sibling"),
        codes.Relationship.OTHER_RELATIVE: N_("Other relative"),
        codes.AssistanceType.CASH: N_("Cash"),
        codes.AssistanceType.IN_KIND: N_("In kind"),
        codes.AssistanceType.JOB_PLACEMENT: N_("Job placement"),
        codes.Urgency.NORMAL: N_("Normal"),
        codes.Urgency.HIGH: N_("High"),
        codes.Urgency.URGENT: N_("Urgent"),
        codes.ReferralStatus.ISSUED: N_("Issued"),
        codes.ReferralStatus.ACCEPTED: N_("Accepted"),
        codes.ReferralStatus.DECLINED: N_("Declined"),
        codes.ReferralStatus.COMPLETED: N_("Completed"),
        codes.ReferralStatus.WITHDRAWN: N_("Withdrawn"),
        codes.ReferralStatus.ESCALATED: N_("Escalated"),
        codes.ReferralStatus.UNPLACED: N_("Unplaced"),
        codes.ReferralStatus.NEEDS_CONSENT: N_("Needs consent"),
        codes.ClosureReason.REINTEGRATED: N_("Reintegrated"),
        codes.ClosureReason.WITHDREW: N_("Withdrew"),
        codes.ClosureReason.UNREACHABLE: N_("Unreachable"),
        codes.ClosureReason.RE_MIGRATED: N_("Re-migrated"),
        codes.ClosureReason.DECEASED: N_("Deceased"),
        codes.ClosureReason.ERASED: N_("Erased"),
        codes.ErasureReason.RETENTION_ENDED: N_("Retention period ended"),
        codes.ErasureReason.SUBJECT_REQUEST: N_("The person's request"),
        codes.ErasureReason.CONSENT_WITHDRAWN: N_("Consent withdrawn"),
        codes.ErasureReason.UNLAWFUL_PROCESSING: N_("Unlawful processing"),
        codes.ErasureReason.LEGAL_OBLIGATION: N_("Legal obligation"),
        codes.SpecialAssistance.WHEELCHAIR: N_("Wheelchair"),
        codes.SpecialAssistance.STRETCHER: N_("Stretcher"),
        codes.SpecialAssistance.MEDICAL_ESCORT: N_("Medical escort"),
        codes.SpecialAssistance.UNACCOMPANIED_MINOR_ESCORT: N_("Escort for an unaccompanied minor"),
        codes.ArrivalMetBy.OFFICE_RECEPTION_TEAM: N_("The office's reception team"),
        codes.ArrivalMetBy.RECEPTION_PARTNER: N_("The reception partner"),
        codes.ArrivalMetBy.TRANSPORT_PARTNER: N_("The transport partner"),
        codes.ArrivalMetBy.NOBODY: N_("Nobody"),
        Action.READ: N_("Read"),
        Action.LIST: N_("Listed"),
        Action.TIMELINE: N_("Read the timeline"),
        Action.PAGE: N_("Opened the page"),
        Action.EXPORT: N_("Exported"),
        Action.REGISTER: N_("Registered"),
        Action.ASSESS: N_("Assessed"),
        Action.CHANGE_CONSENT: N_("Changed consent"),
        Action.PROPOSE_PLAN: N_("Proposed a plan"),
        Action.APPROVE_PLAN: N_("Approved a plan"),
        Action.ASSIGN: N_("Assigned"),
        Action.CLOSE: N_("Closed"),
        Action.MATCH: N_("Checked for duplicates"),
        Action.DISTINCT: N_("Marked as different people"),
        Action.MERGE: N_("Merged"),
        Action.MONITOR: N_("Recorded a monitoring visit"),
        Action.ERASE: N_("Erased"),
        Action.VERIFY: N_("Verified"),
        Action.PAY: N_("Paid"),
        Action.ANNOUNCE: N_("Announced an arrival"),
        Action.RESCHEDULE: N_("Rescheduled an arrival"),
        Action.CANCEL_ARRIVAL: N_("Cancelled an arrival"),
        Action.CONFIRM_ARRIVAL: N_("Confirmed an arrival"),
        Action.MISS_ARRIVAL: N_("Recorded a missed arrival"),
        Action.ANSWER: N_("Answered a referral"),
        Action.EDIT_HOUSEHOLD: N_("Changed the household"),
        Action.CHANGE_CONTACT: N_("Changed the contact details"),
        Action.REOPEN: N_("Reopened"),
        Action.PROPOSE_AMENDMENT: N_("Proposed a plan amendment"),
        Action.APPROVE_AMENDMENT: N_("Approved a plan amendment"),
        Action.REFER: N_("Acted on a referral"),
        Purpose.CASE_MANAGEMENT: N_("Case management"),
        Purpose.SUPERVISION: N_("Supervision"),
        Purpose.GRANT_ADMINISTRATION: N_("Grant administration"),
        Purpose.AUDIT: N_("Audit"),
        Purpose.DATA_PROTECTION: N_("Data protection"),
        Purpose.ADMINISTRATION: N_("Administration"),
        Purpose.RETURN_PREPARATION: N_("Return preparation"),
        Purpose.SUBJECT_ACCESS: N_("Subject access"),
        Purpose.ERASURE: N_("Erasure"),
        Role.CASEWORKER: N_("caseworker"),
        Role.SUPERVISOR: N_("supervisor"),
        Role.FINANCE: N_("finance officer"),
        Role.AUDITOR: N_("auditor"),
        Role.ADMIN: N_("administrator"),
        Role.DPO: N_("data-protection officer"),
        Role.MANAGER: N_("programme manager"),
        Role.SENDING_MISSION: N_("sending mission"),
        Role.PARTNER: N_("partner's staff"),
        Purpose.RETENTION: N_("Retention"),
        Purpose.PARTNER_SERVICE: N_("Partner's service"),
    }
)

# The enums whose every code a page shows (tests/unit/test_labels.py checks each is labelled).
PAGE_CODES: tuple[type[StrEnum], ...] = (
    codes.Category,
    codes.BusinessSector,
    codes.BusinessPlanStage,
    codes.Vulnerability,
    codes.Sex,
    codes.Relationship,
    codes.AssistanceType,
    codes.Urgency,
    codes.ReferralStatus,
    codes.ClosureReason,
    codes.ErasureReason,
    codes.SpecialAssistance,
    codes.ArrivalMetBy,
    Action,
    Purpose,
    Role,
)

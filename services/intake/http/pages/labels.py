"""Intake's own codes as its pages call them, and the messages of intake's rules a page shows
beside a field, marked for the catalogues (shared.http.labels explains why a label's message is its
readable English).

The core writes its rules' messages in English and knows nothing of pages or languages; the pages
translate a message when the catalogue has it (`Msg` + the `tr` filter), so the constant ones are
listed here. A message built with a value in it (an unknown programme's name) stays English."""

from __future__ import annotations

from services.intake.core.case import CaseStatus, PlanStatus
from services.intake.core.requests import DocumentType, UrgencyReason
from shared.http.i18n import N_
from shared.http.labels import register

register(
    {
        CaseStatus.EXPECTED: N_("Expected"),
        CaseStatus.ARRIVAL_CANCELLED: N_("Arrival cancelled"),
        CaseStatus.ARRIVAL_MISSED: N_("Arrival missed"),
        CaseStatus.REGISTERED: N_("Registered"),
        CaseStatus.ASSESSED: N_("Assessed"),
        CaseStatus.PLAN_PROPOSED: N_("Plan proposed"),
        CaseStatus.PLAN_APPROVED: N_("Plan approved"),
        CaseStatus.CLOSED: N_("Closed"),
        PlanStatus.PROPOSED: N_("Proposed"),
        PlanStatus.APPROVED: N_("Approved"),
        DocumentType.PASSPORT: N_("Passport"),
        DocumentType.NATIONAL_ID: N_("National identity card"),
        DocumentType.TRAVEL_DOCUMENT: N_("Travel document"),
        DocumentType.BIRTH_CERTIFICATE: N_("Birth certificate"),
        UrgencyReason.SAFETY_RISK: N_("Safety risk"),
        UrgencyReason.HEALTH_RISK: N_("Health risk"),
        UrgencyReason.NO_SHELTER: N_("No shelter"),
        UrgencyReason.YOUNG_CHILDREN: N_("Young children"),
        UrgencyReason.LOSS_OF_INCOME: N_("Loss of income"),
        UrgencyReason.TIME_LIMITED_OPPORTUNITY: N_("Time-limited opportunity"),
    }
)

PAGE_CODES = (CaseStatus, PlanStatus, DocumentType, UrgencyReason)

# the rules' constant messages (services/intake/core: validation, formats, requests, rules, people)
RULE_MESSAGES = (
    N_("this field is required"),
    N_("unknown field"),
    N_("1 to 200 characters, without control characters"),
    N_("1 to 80 characters, without control characters"),
    N_("a two-letter country code, e.g. DE"),
    N_("3 to 40 letters, digits, spaces, / or -"),
    N_("at most 2000 characters, without control characters other than tabs and line breaks"),
    N_("a date like 2025-06-15 (year-month-day)"),
    N_("not a date of the calendar"),
    N_("a date of birth cannot be in the future"),
    N_("the sending country cannot be the country of return"),
    N_("the arrival date cannot be in the future: register a returnee on arrival"),
    N_("the arrival date is before the principal was born"),
    N_("a requested amount must be more than zero"),
    N_("exactly one member must be the principal applicant; none is"),
    N_("only one member can be the principal"),
    N_("a household has at most one spouse"),
    N_("a child must be born after the principal"),
    N_("a parent must be born before the principal"),
    N_("this person is already listed in the household"),
    N_("each assistance type appears once in a plan"),
    N_("a reason is given for a high or urgent case only"),
    N_("somebody travelled: otherwise cancel the arrival"),
)

# why a person is likely someone in another case (services/intake/core/matching.py)
MATCH_REASONS = (
    N_("same document number"),
    N_("same name"),
    N_("name matches in another script"),
    N_("names in another order"),
    N_("same name without diacritics"),
    N_("same name in another spelling"),
    N_("one name has a part the other has not"),
    N_("similar name (a typo?)"),
    N_("same date of birth"),
    N_("day and month swapped"),
    N_("date of birth differs in one part"),
)

# the refusals a case's state makes (CaseConflict: services/intake/core, use_cases), shown on the
# pages and as the API's 409 detail
CONFLICT_MESSAGES = (
    N_("a case cannot be merged into itself"),
    N_("the case is closed"),
    N_("only an announcement, or a registration nobody has assessed yet, can be merged"),
    N_("nobody in the announcement is likely someone in the case"),
    N_("the arrival is not overdue yet"),
    N_("the announced return did not happen: the case has ended"),
    N_("the family has not arrived yet: a plan follows the arrival"),
    N_("the case's plan is already approved"),
    N_("the case has no plan to approve"),
    N_("the plan is already approved"),
    N_("the case's personal data was erased: it cannot change any more"),
    N_("the case is closed: no visit can be recorded on it"),
    N_("you proposed this plan: another supervisor must approve it"),
)

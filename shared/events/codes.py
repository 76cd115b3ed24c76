"""The codes events carry. Adding a member is an additive change; renaming one is a new topic version."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """What a returnee needs, and what a partner serves."""

    HOUSING = "housing"
    EDUCATION = "education"
    EMPLOYMENT = "employment"
    MEDICAL = "medical"
    COUNSELLING = "counselling"
    VOCATIONAL_TRAINING = "vocational_training"  # a training centre: a course, an apprenticeship
    MICRO_BUSINESS = "micro_business"  # a business advisory service: the plan, the set-up
    # the return itself: issued on the announcement of an expected arrival (issue 13)
    AIRPORT_RECEPTION = "airport_reception"
    TRANSPORT = "transport"


# Served around the arrival itself: routed on the announcement, with a deadline measured back from
# the scheduled arrival, and no longer routed once the family has arrived.
ARRIVAL_CATEGORIES = frozenset({Category.AIRPORT_RECEPTION, Category.TRANSPORT})


class BusinessSector(StrEnum):
    """What a returnee's micro-business would do (a code: the plan itself stays with the caseworker)."""

    AGRICULTURE = "agriculture"
    FOOD_PROCESSING = "food_processing"
    RETAIL = "retail"
    HOSPITALITY = "hospitality"
    CRAFTS = "crafts"
    CONSTRUCTION = "construction"
    TRANSPORT = "transport"
    REPAIR = "repair"
    PERSONAL_SERVICES = "personal_services"
    OTHER = "other"


class BusinessPlanStage(StrEnum):
    """How far a micro-business has come when the caseworker assesses it."""

    IDEA = "idea"  # no plan written yet
    PLAN_DRAFTED = "plan_drafted"  # a plan exists, not yet costed or checked
    PLAN_READY = "plan_ready"  # costed and ready for the advisory service to verify
    TRADING = "trading"  # already trading: the help is to keep it going or grow it


class Vulnerability(StrEnum):
    MEDICAL_CONDITION = "medical_condition"
    UNACCOMPANIED_MINOR = "unaccompanied_minor"
    VICTIM_OF_TRAFFICKING = "victim_of_trafficking"
    SINGLE_PARENT = "single_parent"
    ELDERLY = "elderly"
    DISABILITY = "disability"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class Relationship(StrEnum):
    PRINCIPAL = "principal"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    SIBLING = "sibling"
    OTHER_RELATIVE = "other_relative"
    OTHER = "other"


class AssistanceType(StrEnum):
    CASH = "cash"
    IN_KIND = "in_kind"
    MICRO_BUSINESS = "micro_business"
    HOUSING = "housing"
    EDUCATION = "education"
    VOCATIONAL_TRAINING = "vocational_training"
    JOB_PLACEMENT = "job_placement"


class Urgency(StrEnum):
    """How soon the caseworker judges the returnee needs help (the assessment's; its reason code
    stays in intake). Referral priority is derived from it and from dates, never from vulnerabilities."""

    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Priority(StrEnum):
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class ReferralStatus(StrEnum):
    ISSUED = "issued"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    ESCALATED = "escalated"
    UNPLACED = "unplaced"
    NEEDS_CONSENT = "needs_consent"


class Milestone(StrEnum):
    """What makes an installment fall due."""

    ON_APPROVAL = "on_approval"
    DAYS_AFTER_ARRIVAL = "days_after_arrival"
    BUSINESS_PLAN_VERIFIED = "business_plan_verified"
    # outcomes (issue 14): the Nth monitoring visit recorded (optionally with a minimum composite
    # score), a referral of a category completed, a supported business found operating at a visit
    MONITORING_VISIT = "monitoring_visit"
    REFERRAL_COMPLETED = "referral_completed"
    BUSINESS_OPERATING = "business_operating"


class Dimension(StrEnum):
    """The three dimensions of the reintegration sustainability survey a monitoring visit records."""

    ECONOMIC = "economic"
    SOCIAL = "social"
    PSYCHOSOCIAL = "psychosocial"


class CancellationReason(StrEnum):
    """Why an installment was cancelled before it fell due: its milestone can no longer happen, or
    the plan it was scheduled for was amended."""

    CASE_CLOSED = "case_closed"
    RE_MIGRATED = "re_migrated"
    # an amendment of the plan changed the installment's assistance type (issue 15)
    PLAN_AMENDED = "plan_amended"


class DisbursementMethod(StrEnum):
    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"
    SUPPLIER_INVOICE = "supplier_invoice"


class ClosureReason(StrEnum):
    REINTEGRATED = "reintegrated"
    WITHDREW = "withdrew"
    UNREACHABLE = "unreachable"
    RE_MIGRATED = "re_migrated"
    DECEASED = "deceased"
    OTHER = "other"
    # closed because its personal data was erased at the returnee's request (or by law) while open
    ERASED = "erased"


class ReopenReason(StrEnum):
    """Why a supervisor reopened a closed case."""

    CLOSED_IN_ERROR = "closed_in_error"
    RETURNEE_RECONTACTED = "returnee_recontacted"
    NEW_NEEDS = "new_needs"
    OTHER = "other"


class ErasureReason(StrEnum):
    """Why a case's personal data was erased (intake's PersonalDataErased), or why a partner is
    asked to delete what it holds (ErasureRequested)."""

    RETENTION_ENDED = "retention_ended"  # the programme's retention period after closure is over
    SUBJECT_REQUEST = "subject_request"  # the returnee asked for erasure
    CONSENT_WITHDRAWN = "consent_withdrawn"  # consent to share with the partner's category withdrawn
    UNLAWFUL_PROCESSING = "unlawful_processing"  # the data should never have been held
    LEGAL_OBLIGATION = "legal_obligation"  # a court or the law requires it


# Which assistance type of a grant pays for the service of which referral category (a category
# with no type here, e.g. medical, is not paid from a reintegration grant). A donor policy may
# fund a type only for a case assessed as needing its category (grants' `requires_need`).
CATEGORY_ASSISTANCE: dict[Category, AssistanceType] = {
    Category.HOUSING: AssistanceType.HOUSING,
    Category.EDUCATION: AssistanceType.EDUCATION,
    Category.EMPLOYMENT: AssistanceType.JOB_PLACEMENT,
    Category.VOCATIONAL_TRAINING: AssistanceType.VOCATIONAL_TRAINING,
    Category.MICRO_BUSINESS: AssistanceType.MICRO_BUSINESS,
}


def category_of(assistance_type: AssistanceType) -> Category | None:
    """The referral category whose service `assistance_type` pays for, if any (cash and in-kind
    help are for the household, not for one service)."""
    return next((c for c, t in CATEGORY_ASSISTANCE.items() if t is assistance_type), None)


class ArrivalMode(StrEnum):
    FLIGHT = "flight"
    LAND_CROSSING = "land_crossing"  # by bus or car through a border crossing


class SpecialAssistance(StrEnum):
    """What the people meeting and driving the family must bring or arrange. Told to reception and
    transport partners only (their payloads declare it), with consent to share with them."""

    WHEELCHAIR = "wheelchair"
    STRETCHER = "stretcher"
    MEDICAL_ESCORT = "medical_escort"
    UNACCOMPANIED_MINOR_ESCORT = "unaccompanied_minor_escort"


class ArrivalCancellationReason(StrEnum):
    """Why an announced return will not happen."""

    RETURN_WITHDRAWN = "return_withdrawn"  # the returnee decided not to return
    TRAVEL_DOCUMENTS = "travel_documents"  # no travel document in time
    HEALTH = "health"  # not fit to travel
    ANNOUNCED_IN_ERROR = "announced_in_error"
    OTHER = "other"


class ArrivalMetBy(StrEnum):
    """Who met the family at the arrival point (the confirming user is recorded besides)."""

    OFFICE_RECEPTION_TEAM = "office_reception_team"
    RECEPTION_PARTNER = "reception_partner"
    TRANSPORT_PARTNER = "transport_partner"
    NOBODY = "nobody"  # the family came to the office on its own

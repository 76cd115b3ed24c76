"""Rules across fields: who is in a household, and which vulnerabilities that household can have.
Pure functions returning every `Problem` they find; `validation.check` calls them once the fields
themselves are valid."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from services.intake.core.catalogue import Catalogue
from services.intake.core.people import ADULT_AGE, ELDERLY_AGE, age_on, name_key
from services.intake.core.requests import Assessment, Member, PlanProposal, Registration
from services.intake.core.validation import Problem
from shared.events.codes import Category, Relationship, Urgency, Vulnerability

MEMBERS = "members"
VULNERABILITIES = "vulnerabilities"


def household_problems(members: Sequence[Member], today: date) -> list[Problem]:
    """Exactly one principal, at most one spouse, children younger and parents older than the
    principal, nobody listed twice."""
    problems: list[Problem] = []
    principals = [i for i, m in enumerate(members) if m.relationship is Relationship.PRINCIPAL]
    if not principals:
        problems.append(Problem((MEMBERS,), "exactly one member must be the principal applicant; none is"))
    for extra in principals[1:]:
        problems.append(Problem((MEMBERS, extra, "relationship"), "only one member can be the principal"))
    spouses = [i for i, m in enumerate(members) if m.relationship is Relationship.SPOUSE]
    for extra in spouses[1:]:
        problems.append(Problem((MEMBERS, extra, "relationship"), "a household has at most one spouse"))
    if len(principals) == 1:
        principal = members[principals[0]]
        for i, member in enumerate(members):
            if member.relationship is Relationship.CHILD and member.date_of_birth <= principal.date_of_birth:
                problems.append(
                    Problem((MEMBERS, i, "date_of_birth"), "a child must be born after the principal")
                )
            if member.relationship is Relationship.PARENT and member.date_of_birth >= principal.date_of_birth:
                problems.append(
                    Problem((MEMBERS, i, "date_of_birth"), "a parent must be born before the principal")
                )
    problems.extend(_listed_twice(members))
    return problems


def _listed_twice(members: Sequence[Member]) -> list[Problem]:
    problems: list[Problem] = []
    seen_people: set[tuple[str, date]] = set()
    seen_documents: set[tuple[str, str]] = set()
    for i, member in enumerate(members):
        person = (name_key(member.name), member.date_of_birth)
        if person in seen_people:
            problems.append(Problem((MEMBERS, i, "name"), "this person is already listed in the household"))
        seen_people.add(person)
        document = member.identity_document
        if document is not None:
            if (document.type, document.number) in seen_documents:
                problems.append(
                    Problem(
                        (MEMBERS, i, "identity_document", "number"),
                        "another member has the same identity document",
                    )
                )
            seen_documents.add((document.type, document.number))
    return problems


def vulnerability_problems(
    members: Sequence[Member], vulnerabilities: Sequence[Vulnerability], today: date
) -> list[Problem]:
    """Vulnerabilities the household's ages and relationships contradict."""
    ages = [age_on(m.date_of_birth, today) for m in members]
    adults = [i for i, age in enumerate(ages) if age >= ADULT_AGE]
    flagged = set(vulnerabilities)
    problems: list[Problem] = []

    def problem(message: str) -> None:
        problems.append(Problem((VULNERABILITIES,), message))

    principal_age = next(
        (age for m, age in zip(members, ages, strict=True) if m.relationship is Relationship.PRINCIPAL), None
    )
    if Vulnerability.UNACCOMPANIED_MINOR in flagged:
        if principal_age is not None and principal_age >= ADULT_AGE:
            problem(f"an unaccompanied minor must be under {ADULT_AGE}; the principal is {principal_age}")
        elif adults:
            problem(
                "an unaccompanied minor has no adult in the household; member "
                + ", ".join(f"{i + 1} is {ages[i]}" for i in adults)
            )
    elif not adults:
        problem(f"nobody in the household is {ADULT_AGE} or older: flag the case as unaccompanied_minor")
    if Vulnerability.ELDERLY in flagged and max(ages) < ELDERLY_AGE:
        problem(f"'elderly' needs a member aged {ELDERLY_AGE} or over; the oldest is {max(ages)}")
    if Vulnerability.SINGLE_PARENT in flagged:
        relationships = Counter(m.relationship for m in members)
        if relationships[Relationship.CHILD] == 0:
            problem("'single_parent' needs a child of the principal in the household")
        if relationships[Relationship.SPOUSE] > 0:
            problem("'single_parent' does not fit a household with a spouse")
    return problems


def registration_problems(registration: Registration, today: date) -> list[Problem]:
    problems = household_problems(registration.members, today)
    if not problems:  # the vulnerability rules reason about a well-formed household
        problems.extend(vulnerability_problems(registration.members, registration.vulnerabilities, today))
    principal = next((m for m in registration.members if m.relationship is Relationship.PRINCIPAL), None)
    if principal is not None and registration.arrival_date < principal.date_of_birth:
        problems.append(Problem(("arrival_date",), "the arrival date is before the principal was born"))
    return problems


def plan_problems(plan: PlanProposal, programme_id: str, catalogue: Catalogue) -> list[Problem]:
    """One line per assistance type, every amount in the programme's currency."""
    problems: list[Problem] = []
    currency = catalogue.programme_currency(programme_id)
    seen = set()
    for i, line in enumerate(plan.assistance):
        if line.assistance_type in seen:
            problems.append(
                Problem(("assistance", i, "assistance_type"), "each assistance type appears once in a plan")
            )
        seen.add(line.assistance_type)
        if currency is not None and line.requested.currency != currency:
            problems.append(
                Problem(
                    ("assistance", i, "requested", "currency"),
                    f"programme {programme_id} pays in {currency}, not {line.requested.currency}",
                )
            )
    return problems


def urgency_problems(assessment: Assessment) -> list[Problem]:
    """High and urgent say why; normal needs no reason."""
    if assessment.urgency is Urgency.NORMAL and assessment.urgency_reason is not None:
        return [Problem(("urgency_reason",), "a reason is given for a high or urgent case only")]
    if assessment.urgency is not Urgency.NORMAL and assessment.urgency_reason is None:
        return [Problem(("urgency_reason",), f"say why the case is {assessment.urgency.value}")]
    return []


def service_detail_problems(assessment: Assessment) -> list[Problem]:
    """What a training centre and a business advisory service need to be told comes with their need,
    and only with it: training wanted for `vocational_training`; sector and plan stage for
    `micro_business`."""
    problems: list[Problem] = []
    training = Category.VOCATIONAL_TRAINING in assessment.needs
    if training and not assessment.training_wanted:
        message = "name the training the returnee wants (vocational_training)"
        problems.append(Problem(("training_wanted",), message))
    if not training and assessment.training_wanted:
        message = "training wanted goes with the vocational_training need"
        problems.append(Problem(("training_wanted",), message))
    business = Category.MICRO_BUSINESS in assessment.needs
    for field in ("business_sector", "business_plan_stage"):
        given = getattr(assessment, field) is not None
        what = field.replace("_", " ")
        if business and not given:
            problems.append(Problem((field,), f"a micro_business need needs its {what}"))
        if not business and given:
            problems.append(Problem((field,), f"the {what} goes with the micro_business need"))
    return problems


def assessment_problems(assessment: Assessment) -> list[Problem]:
    return urgency_problems(assessment) + service_detail_problems(assessment)

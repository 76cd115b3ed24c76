"""Cases change as lives do (issue 15, point 2): the household edited, the contact details changed,
a closed case reopened. Pure decisions, as in `decisions.py`: (case, request, who, when) → the new
case, its history line and its event; a refusal is a CaseConflict, a bad request `Invalid`."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from services.intake.core import events
from services.intake.core.case import Case, CaseStatus, Contact, Reopening
from services.intake.core.change_requests import ContactChange, HouseholdEdit, ReopeningRequest
from services.intake.core.decisions import ENDED, Decision
from services.intake.core.errors import CaseConflict
from services.intake.core.requests import Member
from services.intake.core.rules import MEMBERS, household_problems, vulnerability_problems
from services.intake.core.validation import Invalid, Problem


def _changeable(case: Case) -> None:
    if case.status is CaseStatus.CLOSED:
        raise CaseConflict("the case is closed: a supervisor reopens it first")
    if case.status in ENDED:
        raise CaseConflict("the announced return did not happen: the case has ended")


def household_edit_problems(case: Case, edit: HouseholdEdit, today: date) -> list[Problem]:
    """Each `was` names a current member, once; the new household keeps the household rules
    (one principal, ...) and still fits the case's recorded vulnerabilities."""
    problems: list[Problem] = []
    named: set[int] = set()
    for i, member in enumerate(edit.members):
        if member.was is None:
            continue
        if member.was >= len(case.members):
            problems.append(
                Problem((MEMBERS, i, "was"), f"the household has no member at position {member.was}")
            )
        elif member.was in named:
            problems.append(Problem((MEMBERS, i, "was"), "another entry already names this member"))
        named.add(member.was)
    members = _members(edit)
    household = household_problems(members, today)
    problems.extend(household)
    if not household:  # the vulnerability rules reason about a well-formed household
        problems.extend(vulnerability_problems(members, case.vulnerabilities, today))
    return problems


def _members(edit: HouseholdEdit) -> list[Member]:
    return [Member(**{name: getattr(m, name) for name in Member.model_fields}) for m in edit.members]


def edit_household(case: Case, edit: HouseholdEdit, by: UUID, now: datetime) -> Decision:
    """The household as the caseworker lists it now. Publishes HouseholdChanged (ages, sex and
    relationships: what referral routes and builds payloads on); nothing changed, no event.

    A household whose arrival was confirmed keeps who did not travel: the positions are carried
    over to the new list through `was` (a member removed is simply gone). Before the arrival the
    household is the announcement's, confirmed at the gate (reception), so it is not edited here."""
    _changeable(case)
    if case.status is CaseStatus.EXPECTED:
        raise CaseConflict("the family has not arrived yet: reception confirms who travelled")
    problems = household_edit_problems(case, edit, now.date())
    if problems:
        raise Invalid(problems)
    members = _members(edit)
    kept = {m.was for m in edit.members if m.was is not None}
    corrected = sum(
        1
        for m, new in zip(edit.members, members, strict=True)
        if m.was is not None and case.members[m.was] != new
    )
    added = sum(1 for m in edit.members if m.was is None)
    removed = len(case.members) - len(kept)
    moved = [m.was for m in edit.members] != list(range(len(case.members)))
    if not (corrected or added or removed or moved):
        return Decision(case, "HouseholdUnchanged", "Household unchanged", None)
    update: dict[str, object] = {"members": members, "updated_by": by, "updated_at": now}
    arrival = case.arrival
    if arrival is not None and arrival.confirmation is not None and arrival.confirmation.not_travelled:
        absent = set(arrival.confirmation.not_travelled)
        confirmation = arrival.confirmation.model_copy(
            update={"not_travelled": [i for i, m in enumerate(edit.members) if m.was in absent]}
        )
        update["arrival"] = arrival.model_copy(update={"confirmation": confirmation})
    updated = case.model_copy(update=update)
    # ids and counts only: the timeline is read by people who may not see the members
    parts = [
        f"{n} {what}" for n, what in ((added, "added"), (removed, "removed"), (corrected, "corrected")) if n
    ]
    summary = f"Household changed: {len(members)} members" + (f" ({', '.join(parts)})" if parts else "")
    return Decision(updated, "HouseholdChanged", summary, events.household_changed(updated, by, now.date()))


def change_contact(case: Case, change: ContactChange, by: UUID, now: datetime) -> Decision:
    """The phone number and the address. No event: no partner's payload declares a contact (see
    services/referral/core/payloads.py), so a contact never leaves intake; the history line says
    that they changed, never what they are."""
    _changeable(case)
    contact = Contact(phone=change.phone, address=change.address)
    if contact == (case.contact or Contact()):
        return Decision(case, "ContactUnchanged", "Contact details unchanged", None)
    updated = case.model_copy(update={"contact": contact, "updated_by": by, "updated_at": now})
    return Decision(updated, "ContactChanged", "Contact details changed", None)


def reopen(case: Case, request: ReopeningRequest, by: UUID, now: datetime) -> Decision:
    """A closed case opens again (supervisors: the caller checks the role), with its reason.

    What the closure ended stays ended: an approved plan is set aside (`earlier_plans`), because
    grants closed its grant — cancelled installments, budget released — and does not revive it; a
    new plan is proposed and approved for a new grant. The case is `assessed` again if it has
    needs, `registered` otherwise, and the caseworker's next assessment tells referral what to
    issue. A case merged into another stays closed: the other case is the family's."""
    if case.status is not CaseStatus.CLOSED or case.closure is None:
        raise CaseConflict("only a closed case can be reopened")
    if case.merged_into is not None:
        raise CaseConflict("the case was merged into another case: that case is the family's")
    record = Reopening(
        reason=request.reason, note=request.note, reopened_by=by, reopened_at=now, closure=case.closure
    )
    earlier = [*case.earlier_plans, case.plan] if case.plan is not None else case.earlier_plans
    updated = case.model_copy(
        update={
            "status": CaseStatus.ASSESSED if case.needs else CaseStatus.REGISTERED,
            "closure": None,
            "plan": None,
            "amendment": None,  # an amendment of the set-aside plan goes with it
            "earlier_plans": earlier,
            "reopenings": [*case.reopenings, record],
            "updated_by": by,
            "updated_at": now,
        }
    )
    summary = f"Case reopened: {request.reason}"
    return Decision(updated, "CaseReopened", summary, events.case_reopened(updated, record))

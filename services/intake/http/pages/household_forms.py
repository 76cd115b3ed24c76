"""Between the case page's household, contact and reopening forms and intake's requests (issue 15,
point 2): what the forms show, the form fields to the dicts the requests validate, and each
problem's location back to the row it belongs beside. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from services.intake.core.case import Case, CaseStatus
from services.intake.core.permissions import APPROVERS, EDITORS
from services.intake.core.requests import MAX_MEMBERS, DocumentType, Member
from services.intake.core.validation import Problem
from services.intake.http.pages.forms import MEMBER_FIELDS, member_data, text
from shared.events.codes import Relationship, ReopenReason, Sex
from shared.http.i18n import N_
from shared.http.pages import options
from shared.identity.model import User

ROW_FIELDS = (*MEMBER_FIELDS, "was", "remove")
# the notice after each form went through (`?done=`)
CHANGES_DONE = {
    "household": N_("Household saved. Referral is told the household as it is now."),
    "contact": N_("Contact details saved. They stay in intake."),
    "reopen": N_("Case reopened. Assess it again; a new plan is needed for a new grant."),
    "amendment": N_("Amendment saved. A supervisor who did not propose it can now approve it."),
    "approve-amendment": N_("Amendment approved. Grants adjusts the grant to the amended plan."),
}


def member_row(member: Member | None, position: int | None) -> dict[str, str]:
    """A member as the form's fields hold it (a blank row, for someone new, when None)."""
    if member is None:
        return dict.fromkeys(ROW_FIELDS, "")
    document = member.identity_document
    return {
        "name": member.name,
        "date_of_birth": member.date_of_birth.isoformat(),
        "sex": member.sex.value,
        "relationship": member.relationship.value,
        "identity_document-type": document.type.value if document else "",
        "identity_document-number": document.number if document else "",
        "was": str(position),
        "remove": "",
    }


def page_context(case: Case, user: User) -> dict[str, Any]:
    """What the case page's household, contact and reopening parts need."""
    rows = [member_row(m, i) for i, m in enumerate(case.members)]
    if len(rows) < MAX_MEMBERS:
        rows.append(member_row(None, None))
    return {
        "member_rows": rows,
        "may_edit_household": user.role in EDITORS
        and case.status not in (CaseStatus.CLOSED, CaseStatus.EXPECTED)
        and case.status.value not in ("arrival_cancelled", "arrival_missed"),
        "may_reopen": user.role in APPROVERS
        and case.status is CaseStatus.CLOSED
        and case.merged_into is None,
        "sexes": options(Sex),
        "relationships": options(Relationship),
        "document_types": options(DocumentType),
        "reopen_reasons": options(ReopenReason),
        **_amendment_context(case, user),
    }


def _amendment_context(case: Case, user: User) -> dict[str, Any]:
    approved = case.status is CaseStatus.PLAN_APPROVED and case.plan is not None
    pending = case.amendment
    return {
        "may_amend": approved and user.role in EDITORS,
        "may_approve_amendment": approved
        and pending is not None
        and user.role in APPROVERS
        and pending.proposed_by != user.id,
        # separation of duties: whoever proposed the amendment sees why they cannot approve it
        "own_amendment": approved
        and pending is not None
        and user.role in APPROVERS
        and pending.proposed_by == user.id,
    }


@dataclass
class HouseholdForm:
    data: dict[str, Any]
    rows: list[dict[str, str]]  # every row as typed, for the page re-rendered with its problems
    # the form row of each member in data["members"] (removed and blank rows are not sent)
    positions: list[int] = field(default_factory=list)


def household_data(form: FormData) -> HouseholdForm:
    """Rows `members-<i>-<field>`: a row with `was` is a current member (ticked `remove`: left
    out), a row without is someone new — or, left blank, nobody."""
    try:
        count = int(text(form, "member_count") or "0")
    except ValueError:
        count = 0
    rows = [
        {f: text(form, f"members-{i}-{f}") for f in ROW_FIELDS} for i in range(min(count, MAX_MEMBERS + 1))
    ]
    members: list[dict[str, Any]] = []
    positions: list[int] = []
    for i, row in enumerate(rows):
        if row["remove"] == "yes" or not (row["was"] or any(row[f] for f in MEMBER_FIELDS)):
            continue
        member = member_data(row)
        if row["was"]:
            member["was"] = int(row["was"]) if row["was"].isdigit() else row["was"]
        members.append(member)
        positions.append(i)
    return HouseholdForm({"members": members}, rows, positions)


def on_form(problems: Sequence[Problem], positions: Sequence[int]) -> list[Problem]:
    """Problems located on the request's members, moved to their form rows."""
    moved = []
    for problem in problems:
        loc = problem.loc
        if len(loc) > 1 and loc[0] == "members" and isinstance(loc[1], int) and loc[1] < len(positions):
            loc = ("members", positions[loc[1]], *loc[2:])
        moved.append(Problem(loc, problem.message))
    return moved


def contact_data(form: FormData) -> dict[str, str]:
    return {k: text(form, k) for k in ("phone", "address") if text(form, k)}


def reopening_data(form: FormData) -> dict[str, str]:
    data = {"reason": text(form, "reopen-reason")} if text(form, "reopen-reason") else {}
    if text(form, "reopen-note"):
        data["note"] = text(form, "reopen-note")
    return data

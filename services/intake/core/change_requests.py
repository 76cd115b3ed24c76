"""What a caseworker or a supervisor sends to change a case as the returnee's life changes (issue 15,
point 2): the household as it is now, the contact details, a reopening. Read like every other
request (`requests.py`): unknown fields refused, strict formats, every problem reported at once."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from services.intake.core.formats import JSON_INTEGER, CanonicalUuid, TypedText, text_pattern
from services.intake.core.requests import MAX_MEMBERS, Input, Member, Note
from shared.events.codes import ReopenReason

# as people write it: digits, spaces, + ( ) - and /, at least 6 characters, e.g. "+389 70 123 456"
Phone = Annotated[
    str,
    TypedText(
        text_pattern(6, 30, inner=r"[0-9 +()/-]", edge=r"[0-9+()]"),
        "6 to 30 digits, spaces, +, (, ), / or -",
    ),
]
Address = Annotated[str, TypedText(text_pattern(1, 300), "1 to 300 characters, without control characters")]


class EditedMember(Member):
    """A member of the household as it is now. `was` is the member's position in the case's
    current list when this is someone already in it (a correction), left out for someone new; a
    current member no entry names is removed."""

    was: Annotated[int, Field(ge=0, lt=MAX_MEMBERS), JSON_INTEGER] | None = None


class HouseholdEdit(Input):
    """`POST /v1/cases/{id}/household`: the whole household, in the order it is to be listed."""

    members: list[EditedMember] = Field(min_length=1, max_length=MAX_MEMBERS)


class ContactChange(Input):
    """`POST /v1/cases/{id}/contact`: the phone number and the address; one left out is cleared."""

    phone: Phone | None = None
    address: Address | None = None


class ReopeningRequest(Input):
    """`POST /v1/cases/{id}/reopen` (supervisors): why the closed case opens again."""

    reason: ReopenReason
    note: Note | None = None


class AmendmentApproval(Input):
    """`POST /v1/cases/{id}/plan/amendment/approve`. Naming the amendment guards against approving
    one that was replaced since the supervisor read it."""

    amendment_id: CanonicalUuid | None = None

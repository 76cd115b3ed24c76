"""The likely-duplicates page of a case (`/cases/{id}/duplicates`, caseworkers and supervisors):
who in other cases is likely someone in this one, with the score and the reasons; for each,
"Different person" (recorded, not raised again) or "Merge into this case" (an announcement, or a
second registration nobody has assessed). Each button posts and redirects back (303)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.intake.core.errors import CaseConflict, CaseNotFound
from services.intake.core.permissions import EDITORS
from services.intake.core.validation import Invalid
from services.intake.http.deps import intake_of
from services.intake.http.pages import forms
from services.intake.http.pages.render import PAGES, no_such_case, render
from services.intake.use_cases import duplicates as use_cases
from shared.http import i18n
from shared.http.i18n import N_
from shared.http.labels import Msg
from shared.http.pages import sentence
from shared.http.sessions import page_user
from shared.identity.model import User

router = APIRouter(include_in_schema=False)

Editor = Annotated[User, Depends(page_user(*EDITORS))]

DONE = {
    "distinct": N_("Recorded: these are different people. The pair will not be raised again."),
    "merged": N_("Merged: the announcement is closed and its arrival facts joined this case."),
}


async def duplicates_page(
    request: Request, user: User, case_id: UUID, *, problem: str | None = None, status_code: int = 200
) -> Response:
    try:
        found = await use_cases.duplicates_of_case(intake_of(request), case_id, user)
    except CaseNotFound:
        return no_such_case(request, case_id)
    context = {
        "case_id": case_id,
        "candidates": found.candidates,
        "problem": problem,
        "notice": Msg(DONE[done]) if (done := request.query_params.get("done", "")) in DONE else None,
    }
    return render(request, "duplicates.html", context, status_code)


@router.get("/cases/{case_id}/duplicates")
async def show_duplicates(case_id: UUID, request: Request, user: Editor) -> Response:
    return await duplicates_page(request, user, case_id)


@router.post("/cases/{case_id}/duplicates")
async def answer_duplicate(case_id: UUID, request: Request, user: Editor) -> Response:
    form = await request.form()
    other = forms.text(form, "other_case_id")
    action = forms.text(form, "action")
    intake = intake_of(request)
    try:
        if action == "merge":
            await use_cases.merge_announcement(intake, case_id, {"announcement_id": other}, user)
        else:
            await use_cases.confirm_distinct(intake, case_id, {"other_case_id": other}, user)
    except (Invalid, CaseConflict) as refused:
        lang = PAGES.lang(request)
        messages = [p.message for p in refused.problems] if isinstance(refused, Invalid) else [str(refused)]
        detail = "; ".join(i18n.gettext(lang, m) for m in messages)  # each in the page's language
        return await duplicates_page(request, user, case_id, problem=sentence(detail), status_code=409)
    done = "merged" if action == "merge" else "distinct"
    return RedirectResponse(f"/cases/{case_id}/duplicates?done={done}", status_code=303)

"""The supervisors' queue, `/supervisor`: the plans waiting for their approval (approved here with
the same use case as the case page, and never by the supervisor who proposed the plan) and the
referrals that stand escalated, each a link to its case's page where referrals are acted on."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.intake.core.errors import CaseConflict, CaseNotFound
from services.intake.core.permissions import APPROVERS
from services.intake.core.validation import Invalid
from services.intake.core.views import summary_for
from services.intake.http.deps import intake_of
from services.intake.http.pages import forms
from services.intake.http.pages.render import PAGES, render
from services.intake.use_cases import case_changes
from services.intake.use_cases import cases as use_cases
from services.intake.use_cases.queue import supervisor_queue
from shared.http.i18n import N_, gettext
from shared.http.sessions import page_user
from shared.identity.model import User

router = APIRouter(include_in_schema=False)
Supervisor = Annotated[User, Depends(page_user(*APPROVERS))]
APPROVED = N_("Plan approved.")
GONE = N_("This plan is no longer waiting for approval.")


async def queue_page(
    request: Request, user: User, errors: dict[str, list[str]] | None = None, status_code: int = 200
) -> Response:
    queue = await supervisor_queue(intake_of(request), user)
    lang = PAGES.lang(request)
    page: dict[str, Any] = {
        "plans": [(summary_for(user, c), c.plan) for c in queue.plans],
        "escalated": queue.escalated,
        "errors": errors or {},
        "notice": gettext(lang, APPROVED) if request.query_params.get("done") == "approved" else None,
        # approved on the case's page, beside the plan they change
        "amendments": [
            (summary_for(user, c), c.amendment)
            for c in await case_changes.amendments_awaiting(intake_of(request), user)
            if c.amendment is not None
        ],
    }
    return render(request, "supervisor.html", page, status_code)


@router.get("/supervisor")
async def show(request: Request, user: Supervisor) -> Response:
    return await queue_page(request, user)


@router.post("/supervisor/plans/{case_id}/approve")
async def approve(case_id: UUID, request: Request, user: Supervisor) -> Response:
    form = await request.form()
    data = {"plan_id": forms.text(form, "plan_id")} if forms.text(form, "plan_id") else {}
    field = f"approve-{case_id}"
    try:
        await use_cases.approve_plan(intake_of(request), case_id, data, user)
    except Invalid as invalid:
        messages = [p.message for p in invalid.problems]
        return await queue_page(request, user, {field: messages}, 422)
    except CaseConflict as conflict:
        return await queue_page(request, user, {field: [str(conflict).capitalize()]}, 409)
    except CaseNotFound:
        return await queue_page(request, user, {field: [gettext(PAGES.lang(request), GONE)]}, 404)
    return RedirectResponse("/supervisor?done=approved", status_code=303)

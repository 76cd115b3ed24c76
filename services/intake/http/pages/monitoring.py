"""The monitoring page at `/monitoring`: the visits due or overdue within the caseworker's scope
(the same list as `GET /v1/monitoring/due`, recorded in the access log the same way)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.intake.core.permissions import EDITORS
from services.intake.http.deps import intake_of
from services.intake.http.pages.render import render
from services.intake.use_cases import monitoring as use_cases
from shared.http.sessions import page_user
from shared.identity.model import User

router = APIRouter(include_in_schema=False)

Editor = Annotated[User, Depends(page_user(*EDITORS))]


@router.get("/monitoring")
async def monitoring_page(request: Request, user: Editor) -> Response:
    programme = request.query_params.get("programme") or None
    found = await use_cases.visits_due(intake_of(request), user, programme=programme)
    return render(
        request,
        "monitoring.html",
        {"today": found.today, "visits": found.visits, "programme": programme},
    )

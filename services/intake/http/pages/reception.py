"""The reception page at `/reception`: today's and tomorrow's expected arrivals (at their arrival
points' time), each with its reception and transport referral status, and an "arrived" form per
family — who met them, when, and who did not travel. Built for a phone at the gate: server-rendered,
no JavaScript, one column at 360 px. Reading it is recorded in the access log (it shows names)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.intake.core.errors import CaseConflict, CaseNotFound
from services.intake.core.permissions import EDITORS
from services.intake.core.validation import Invalid
from services.intake.http.deps import intake_of
from services.intake.http.pages import forms
from services.intake.http.pages.render import options, render
from services.intake.use_cases import arrivals as use_cases
from services.intake.use_cases.arrivals import ExpectedArrival
from shared.events.codes import ArrivalMetBy, Category
from shared.http.i18n import N_
from shared.http.labels import Msg
from shared.http.sessions import page_user
from shared.identity.model import User
from shared.privacy import Action

router = APIRouter(include_in_schema=False)

Reception = Annotated[User, Depends(page_user(*EDITORS))]
LOCAL_TIME = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


def _zone(request: Request, arrival_point: str) -> ZoneInfo:
    point = intake_of(request).catalogue.arrival_points.get(arrival_point)
    return point.zone if point else ZoneInfo("UTC")


def _row(request: Request, found: ExpectedArrival, today: date) -> dict[str, Any] | None:
    case, arrival = found.case, found.case.arrival
    if arrival is None:  # expected_arrivals lists announced cases only
        return None
    zone = _zone(request, arrival.arrival_point)
    local = arrival.scheduled_at.astimezone(zone)
    point = intake_of(request).catalogue.arrival_points.get(arrival.arrival_point)
    return {
        "case": case,
        "arrival": arrival,
        "today": local.date() == today,
        "time": local.strftime("%H:%M"),
        "point": point.name if point else arrival.arrival_point,
        "members": [(i, m.name, m.relationship) for i, m in enumerate(case.members)],
        "municipality": intake_of(request).catalogue.municipality_name(case.municipality),
        "reception": found.services.get(Category.AIRPORT_RECEPTION),  # None: not reported yet
        "transport": found.services.get(Category.TRANSPORT),
        "now_local": intake_of(request).clock().astimezone(zone).strftime(LOCAL_TIME),
    }


async def reception_page(
    request: Request,
    user: User,
    *,
    status_code: int = 200,
    errors: dict[str, dict[str, list[str]]] | None = None,
) -> Response:
    intake = intake_of(request)
    today = use_cases.today_at_arrival_points(intake)
    found = await use_cases.expected_arrivals(intake, user, today, today + timedelta(days=1))
    await use_cases.record_arrival_reads(intake, user, Action.PAGE, [f.case.id for f in found])
    done = request.query_params.get("done", "")
    context = {
        "arrivals": [row for f in found if (row := _row(request, f, today)) is not None],
        "met_by": options(ArrivalMetBy),
        "errors": errors or {},
        "notice": Msg(N_("Arrival confirmed. The case is registered and its referrals are on their way."))
        if done == "arrived"
        else None,
    }
    return render(request, "reception.html", context, status_code)


@router.get("/reception")
async def show_reception(request: Request, user: Reception) -> Response:
    return await reception_page(request, user)


@router.post("/reception/{case_id}/arrived")
async def submit_arrived(case_id: UUID, request: Request, user: Reception) -> Response:
    form = await request.form()
    intake = intake_of(request)
    section = str(case_id)
    try:
        case = await use_cases.announced_case(intake, case_id, user)
        zone = _zone(request, case.arrival.arrival_point if case.arrival else "")
        data: dict[str, Any] = {
            "met_by": forms.text(form, "met_by") or None,
            "arrived_at": _instant(forms.text(form, "arrived_at"), zone),
            "not_travelled": [
                i for i in range(len(case.members)) if forms.text(form, f"travelled-{i}") != "yes"
            ],
        }
        await use_cases.confirm(intake, case_id, {k: v for k, v in data.items() if v is not None}, user)
    except Invalid as invalid:
        errors = {section: forms.errors_by_field(invalid.problems, ())}
        return await reception_page(request, user, status_code=422, errors=errors)
    except CaseConflict as conflict:
        errors = {section: {"form": [Msg(str(conflict))]}}  # the page translates it, if catalogued
        return await reception_page(request, user, status_code=409, errors=errors)
    except CaseNotFound:
        return await reception_page(request, user, status_code=404)
    return RedirectResponse("/reception?done=arrived", status_code=303)


def _instant(typed: str, zone: ZoneInfo) -> str | None:
    """The form's local time at the arrival point, as an instant with its offset (None: not given
    or not a time, so the request names the field)."""
    try:
        local = datetime.strptime(typed, LOCAL_TIME)
    except ValueError:
        return typed or None
    return local.replace(tzinfo=zone).isoformat()

"""`/v1/arrivals`: announced returns. Sending missions and caseworkers announce, reschedule and
cancel; caseworkers and supervisors (reception) confirm; all of them list the expected arrivals of
their programmes. What comes back is the arrival's view: ids, codes, the trip and the meeting code,
never names (a mission reads no case)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel

from services.intake.core.arrival_requests import (
    Announcement,
    ArrivalCancellationRequest,
    ArrivalConfirmationRequest,
    Reschedule,
)
from services.intake.core.case import Case, CaseStatus
from services.intake.core.permissions import ANNOUNCERS, EDITORS
from services.intake.http.api.bodies import json_of
from services.intake.http.deps import intake_context
from services.intake.http.problems import CASE_STATE_CONFLICT
from services.intake.use_cases import arrivals as use_cases
from services.intake.use_cases.context import IntakeContext
from shared.events.codes import ArrivalMode, Category, ReferralStatus, SpecialAssistance
from shared.http.auth import require_roles
from shared.http.openapi import documented_body
from shared.http.params import known_query_only
from shared.identity.model import User
from shared.privacy import Action

router = APIRouter(prefix="/v1/arrivals", tags=["arrivals"], dependencies=[Depends(known_query_only)])

Announcer = Annotated[User, Depends(require_roles(*ANNOUNCERS))]
Reception = Annotated[User, Depends(require_roles(*EDITORS))]
Context = Annotated[IntakeContext, Depends(intake_context)]
MAX_DAYS = 31


class TripView(BaseModel):
    mode: ArrivalMode
    carrier: str
    number: str
    arrival_point: str
    scheduled_at: datetime
    special_assistance: list[SpecialAssistance]
    meeting_code: str


class ArrivalView(BaseModel):
    case_id: UUID
    status: CaseStatus
    programme_id: str
    municipality: str
    household_size: int
    arrival_date: date
    trip: TripView
    arrived_at: datetime | None = None
    # reception and transport, as referral last reported them (absent: nothing reported yet)
    services: dict[Category, ReferralStatus] = {}


class ArrivalList(BaseModel):
    items: list[ArrivalView]


def view_of(case: Case, services: dict[Category, ReferralStatus] | None = None) -> ArrivalView:
    arrival = case.arrival
    if arrival is None:  # only cases that were announced are listed or changed here
        raise ValueError(f"case {case.id} was not announced")
    return ArrivalView(
        case_id=case.id,
        status=case.status,
        programme_id=case.programme_id,
        municipality=case.municipality,
        household_size=len(case.travelled()),
        arrival_date=case.arrival_date,
        trip=TripView(
            mode=arrival.mode,
            carrier=arrival.carrier,
            number=arrival.number,
            arrival_point=arrival.arrival_point,
            scheduled_at=arrival.scheduled_at,
            special_assistance=arrival.special_assistance,
            meeting_code=arrival.meeting_code,
        ),
        arrived_at=arrival.confirmation.arrived_at if arrival.confirmation else None,
        services=services or {},
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ArrivalView,
    openapi_extra=documented_body(Announcement),
    responses={409: {"description": "a likely duplicate; the body names the existing case"}},
)
async def announce(request: Request, response: Response, user: Announcer, intake: Context) -> ArrivalView:
    """Announce an expected return: the case starts as `expected` and reception and transport are
    referred at once. Rules beyond this schema, answered with 422: the programme must be one of the
    user's; the scheduled arrival must be in the future (at most a year ahead) and the arrival point
    in the country of return; the household's rules are a registration's. Give the family the
    `meeting_code`: reception recognises them by it."""
    case = await use_cases.announce(intake, await json_of(request), user)
    response.headers["Location"] = f"/v1/arrivals/{case.id}"
    return view_of(case)


@router.get("", response_model=ArrivalList)
async def expected(
    user: Announcer,
    intake: Context,
    day: Annotated[date | None, Query(description="the first day (default: today)")] = None,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="how many days from `day`")] = 2,
) -> ArrivalList:
    """The expected arrivals of your programmes scheduled on `day` and the `days` - 1 days after it
    (each read at its arrival point), earliest first, with their reception and transport status."""
    first = day or use_cases.today_at_arrival_points(intake)
    found = await use_cases.expected_arrivals(intake, user, first, first + timedelta(days=days - 1))
    await use_cases.record_arrival_reads(intake, user, Action.LIST, [a.case.id for a in found])
    return ArrivalList(items=[view_of(a.case, a.services) for a in found])


@router.get("/{case_id}", response_model=ArrivalView)
async def read_arrival(case_id: UUID, user: Announcer, intake: Context) -> ArrivalView:
    case = await use_cases.announced_case(intake, case_id, user)
    await use_cases.record_arrival_reads(intake, user, Action.READ, [case.id])
    return view_of(case, await use_cases.services_of(intake, case.id))


@router.post(
    "/{case_id}/reschedule",
    response_model=ArrivalView,
    openapi_extra=documented_body(Reschedule),
    responses=CASE_STATE_CONFLICT,
)
async def reschedule(case_id: UUID, request: Request, user: Announcer, intake: Context) -> ArrivalView:
    """The flight or crossing changed (give the whole new trip): reception and transport are
    referred anew, their deadlines measured back from the new time."""
    return view_of(await use_cases.reschedule(intake, case_id, await json_of(request), user))


@router.post(
    "/{case_id}/cancel",
    response_model=ArrivalView,
    openapi_extra=documented_body(ArrivalCancellationRequest),
    responses=CASE_STATE_CONFLICT,
)
async def cancel(case_id: UUID, request: Request, user: Announcer, intake: Context) -> ArrivalView:
    """The return will not happen: the case ends and its referrals are withdrawn."""
    return view_of(await use_cases.cancel(intake, case_id, await json_of(request), user))


@router.post(
    "/{case_id}/confirm",
    response_model=ArrivalView,
    openapi_extra=documented_body(ArrivalConfirmationRequest),
    responses=CASE_STATE_CONFLICT,
)
async def confirm(case_id: UUID, request: Request, user: Reception, intake: Context) -> ArrivalView:
    """The family arrived (reception): the case is `registered`, its arrival date the confirmed
    day (what `days_after_arrival` installments count from), and its other referrals are issued."""
    return view_of(await use_cases.confirm(intake, case_id, await json_of(request), user))

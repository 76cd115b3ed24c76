"""`/v1/cases`: register, read, list, assess and close cases."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from services.intake.core.case import Case, CaseStatus, ErasedCase
from services.intake.core.permissions import EDITORS, READERS
from services.intake.core.requests import Assessment, Closure, Registration
from services.intake.core.views import CasePage, ErasedCaseView, RedactedCase, case_for, summary_for
from services.intake.http.api.bodies import NO_NUL, json_of
from services.intake.http.deps import intake_context
from services.intake.http.problems import CASE_STATE_CONFLICT
from services.intake.use_cases import cases as use_cases
from services.intake.use_cases.context import IntakeContext
from shared.http.auth import require_roles
from shared.http.openapi import documented_body
from shared.http.params import known_query_only
from shared.identity.model import User
from shared.privacy import Action

router = APIRouter(prefix="/v1/cases", tags=["cases"], dependencies=[Depends(known_query_only)])

# visible ASCII, no space at either end (HTTP would drop it)
IDEMPOTENCY_KEY = r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$"

Editor = Annotated[User, Depends(require_roles(*EDITORS))]
Reader = Annotated[User, Depends(require_roles(*READERS))]
Context = Annotated[IntakeContext, Depends(intake_context)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Case,
    openapi_extra=documented_body(Registration),
    responses={
        409: {
            "description": "a likely duplicate: `candidates` lists, best first, each person in an existing"
            " case who is likely someone in the request, with a score in [0, 1] and the reasons"
            " (`case_id` null for a case the user may not see)"
        }
    },
)
async def register_case(
    request: Request,
    response: Response,
    user: Editor,
    intake: Context,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            pattern=IDEMPOTENCY_KEY,
            description="visible ASCII, e.g. a UUID the client made for this registration",
        ),
    ] = None,
) -> Case:
    """Register a returnee or a household. Retrying with the same `Idempotency-Key` and the same
    body returns the case the first request created (and publishes nothing more); the same key with
    a different body is refused with 422.

    Rules beyond this schema, answered with 422 and the fields they concern: the programme must be
    one of the user's; the municipality must be one of the country of return's, and the sending
    country another country; the arrival date may not be in the future and dates of birth must be
    plausible (not in the future, at most 120 years ago, before the arrival); the household has
    exactly one principal, at most one spouse, children younger and parents older than the
    principal, nobody listed twice; the vulnerabilities must fit the household's ages and
    relationships.

    Likely duplicates (409): someone in the request is likely a person in an existing case —
    the same document number in any programme, or within the programme a name that matches
    however it is spaced, ordered, accented or scripted (Cyrillic or Latin), or with a typo, with
    the same date of birth or one with day and month swapped. `confirm_distinct_person: true`
    registers anyway and records that they are other people (not raised again)."""
    registered = await use_cases.register_case(intake, await json_of(request), user, idempotency_key)
    response.headers["Location"] = f"/v1/cases/{registered.case.id}"
    if registered.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return registered.case


@router.get("", response_model=CasePage)
async def search_cases(
    user: Reader,
    intake: Context,
    programme: Annotated[str | None, Query(pattern=NO_NUL)] = None,
    municipality: Annotated[str | None, Query(pattern=NO_NUL)] = None,
    status: CaseStatus | None = None,
    q: Annotated[
        str | None,
        Query(max_length=100, pattern=NO_NUL, description="a name, a document number or a case id"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[UUID | None, Query(description="`next_cursor` of the previous page")] = None,
) -> CasePage:
    found = await use_cases.find_cases(
        intake,
        user,
        programme=programme,
        municipality=municipality,
        status=status,
        q=q,
        limit=limit,
        cursor=cursor,
    )
    await use_cases.record_reads(intake, user, Action.LIST, (c.id for c in found.cases))
    return CasePage(items=[summary_for(user, c) for c in found.cases], next_cursor=found.next_cursor)


@router.get("/{case_id}", response_model=Case | RedactedCase | ErasedCase | ErasedCaseView)
async def read_case(
    case_id: UUID, user: Reader, intake: Context
) -> Case | RedactedCase | ErasedCase | ErasedCaseView:
    """The case; readers who may not see personal data get it without names, dates of birth,
    document numbers, vulnerabilities, urgency or notes. Once its personal data is erased, what
    stays of it: ids, codes, age bands (`erasure` says when and why)."""
    case = await use_cases.get_case(intake, case_id, user)
    await use_cases.record_reads(intake, user, Action.READ, [case.id])
    return case_for(user, case, intake.clock().date())


@router.post(
    "/{case_id}/assessment",
    response_model=Case,
    openapi_extra=documented_body(Assessment),
    responses=CASE_STATE_CONFLICT,
)
async def assess_case(case_id: UUID, request: Request, user: Editor, intake: Context) -> Case:
    """Record needs and vulnerabilities after the interview (replacing earlier ones).

    A rule beyond this schema, answered with 422: the vulnerabilities must fit the ages and
    relationships of the case's household (e.g. `elderly` needs a member aged 60 or over)."""
    return await use_cases.assess_case(intake, case_id, await json_of(request), user)


@router.post(
    "/{case_id}/close",
    response_model=Case,
    openapi_extra=documented_body(Closure),
    responses=CASE_STATE_CONFLICT,
)
async def close_case(case_id: UUID, request: Request, user: Editor, intake: Context) -> Case:
    return await use_cases.close_case(intake, case_id, await json_of(request), user)

# ruff: noqa: RUF001 - Macedonian is written in Cyrillic: its letters that look Latin are letters here
"""The API's errors in the caller's language (issue 15, point 5): problem+json's `title` and
`detail` follow Accept-Language (English, Macedonian, Albanian; English for any other), an invalid
field's message too where it is ours; `type` never changes, so clients branch on it in any language."""

from __future__ import annotations

import pytest

from shared.http.problems import PROBLEM_JSON
from tests.unit.test_http_layer import client, small_app

# (Accept-Language, the 422's title, its detail, the 404's title, the 401's detail, the 413's detail)
LANGUAGES = [
    (
        "en-GB, en;q=0.9",
        "The request is not valid",
        "the request has 2 problem(s); nothing was changed",
        "Not found",
        "a valid bearer token (or a live session) is required",
        "the request body is larger than 1024 bytes",
    ),
    (
        "mk-MK, en;q=0.5",
        "Барањето не е валидно",
        "барањето има 2 проблем(и); ништо не е променето",
        "Не е пронајдено",
        "потребен е валиден bearer токен (или активна сесија)",
        "телото на барањето е поголемо од 1024 бајти",
    ),
    (
        "de-DE, sq;q=0.8",
        "Kërkesa nuk është e vlefshme",
        "kërkesa ka 2 problem(e); asgjë nuk u ndryshua",
        "Nuk u gjet",
        "kërkohet një token bearer i vlefshëm (ose një seancë aktive)",
        "trupi i kërkesës është më i madh se 1024 bajt",
    ),
]


@pytest.mark.parametrize(
    ("accept", "invalid_title", "invalid_detail", "missing_title", "unauthenticated", "too_large"),
    LANGUAGES,
    ids=["en", "mk", "sq"],
)
async def test_problems_are_in_the_callers_language_and_their_type_is_stable(
    accept: str,
    invalid_title: str,
    invalid_detail: str,
    missing_title: str,
    unauthenticated: str,
    too_large: str,
) -> None:
    headers = {"Accept-Language": accept}
    async with client(small_app(api_max_body_bytes=1024)) as http:
        invalid = await http.post("/things/x", json={"name": "", "count": 1}, headers=headers)
        missing = await http.get("/nowhere", headers=headers)
        secret = await http.get("/secret", headers=headers)
        large = await http.post(
            "/things/1", content=b"x" * 2048, headers={"content-type": "application/json", **headers}
        )

    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == PROBLEM_JSON
    assert invalid.json()["type"] == "/problems/validation-failed"  # the same in every language
    assert (invalid.json()["title"], invalid.json()["detail"]) == (invalid_title, invalid_detail)
    assert missing.json()["type"] == "/problems/not-found"
    assert missing.json()["title"] == missing_title
    assert secret.json()["type"] == "/problems/unauthenticated"
    assert secret.json()["detail"] == unauthenticated
    assert large.json()["type"] == "/problems/body-too-large"  # answered by a middleware
    assert large.json()["detail"] == too_large


async def test_an_unexpected_error_is_told_in_the_callers_language_and_says_nothing_of_its_cause() -> None:
    async with client(small_app()) as http:
        boom = await http.post(
            "/things/1", json={"name": "boom", "count": 1}, headers={"Accept-Language": "sq"}
        )
    assert boom.status_code == 500
    assert boom.json()["title"] == "Diçka shkoi keq nga ana jonë"
    assert boom.json()["detail"] == "kërkesa nuk mund të përfundohej; është regjistruar"
    assert "Petrovska" not in boom.text


async def test_pydantics_own_field_messages_stay_english() -> None:
    # documented: pydantic's messages are not ours to translate; the pointer says which field
    async with client(small_app()) as http:
        invalid = await http.post("/things/1", json={"name": "a"}, headers={"Accept-Language": "mk"})
    assert invalid.json()["title"] == "Барањето не е валидно"
    assert invalid.json()["errors"] == [{"in": "body", "pointer": "/count", "detail": "Field required"}]

"""The demo's client honours a refusal that says when to come back: 429 (the write rate limit) and
503 with Retry-After (a service at its limit, shared.http.overload) are asked again, since both are
answered before anything is done; a 503 without Retry-After is an error."""

from __future__ import annotations

import httpx
import pytest

from homeward.demo.client import Api, ApiError, Endpoints


def api_answering(*answers: httpx.Response) -> tuple[Api, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(answers)

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)

    api = Api(
        Endpoints(intake="http://intake.test", referral="http://referral.test", grants="http://grants.test")
    )
    api.http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return api, seen


async def test_a_503_with_retry_after_is_asked_again() -> None:
    api, seen = api_answering(
        httpx.Response(503, headers={"retry-after": "0"}, json={"type": "/problems/unavailable"}),
        httpx.Response(201, json={"id": "c1"}),
    )
    try:
        answer = await api.call("POST", "intake", "/v1/cases", "token", json={"members": []})
    finally:
        await api.close()
    assert answer == {"id": "c1"}
    assert len(seen) == 2


async def test_a_503_without_retry_after_is_an_error() -> None:
    api, seen = api_answering(httpx.Response(503, json={"type": "/problems/internal-error"}))
    try:
        with pytest.raises(ApiError):
            await api.call("POST", "intake", "/v1/cases", "token", json={"members": []})
    finally:
        await api.close()
    assert len(seen) == 1

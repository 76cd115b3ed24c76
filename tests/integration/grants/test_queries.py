"""Query parameters are read as strictly as the OpenAPI document declares them: a date is a date
(not "0"), an instant is a date or an RFC 3339 date-time with its offset, and a name the operation
does not know is refused rather than ignored (a misspelt filter would widen the answer)."""

from __future__ import annotations

import pytest

from tests.support import problem_fields

from .conftest import GrantsService

pytestmark = pytest.mark.integration


async def _refused(service: GrantsService, path: str, params: dict[str, str]) -> list[str]:
    response = await service.client.get(path, params=params, headers=service.auth("aud-1"))
    assert response.status_code == 422, response.text
    return problem_fields(response)


async def test_a_misspelt_filter_is_refused_not_ignored(service: GrantsService) -> None:
    assert await _refused(service, "/v1/grants", {"programe": "DE-STARTHILFEPLUS"}) == ["query.programe"]
    assert await _refused(service, "/v1/installments", {"state": "due"}) == ["query.state"]


async def test_due_by_is_a_date_and_nothing_else(service: GrantsService) -> None:
    for not_a_date in ("0", "20250101", "2025-02-30"):
        assert await _refused(service, "/v1/installments", {"due_by": not_a_date}) == ["query.due_by"]
    assert await service.get("/v1/installments", due_by="2025-02-28") == []


async def test_as_of_is_a_date_or_a_date_time_with_its_offset(service: GrantsService) -> None:
    for not_an_instant in ("", "0", "2025-01-01T10:00:00", "2025-01-01T10"):
        assert await _refused(service, "/v1/ledger/balances", {"as_of": not_an_instant}) == ["query.as_of"]
    assert (await service.get("/v1/ledger/balances", as_of="2000-01-01T00:00:00Z"))["programmes"] == []
    # the last day Python's dates hold, and an offset that takes it past them, still answer
    for far in ("9999-12-31", "9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00"):
        assert "programmes" in await service.get("/v1/ledger/balances", as_of=far)

"""The grants finance API as a client uses it, retrying what a client would retry: a 5xx or a
dropped connection is tried again, with the same Idempotency-Key where the API takes one."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

TRANSFER = {"method": "bank_transfer"}
RETRYABLE = (httpx.TransportError,)


@dataclass
class Officer:
    """One finance officer's client, counting the calls that failed (5xx or no answer)."""

    name: str
    token: str
    url: str
    failures: int = 0
    failures_at: list[tuple[float, str]] = field(default_factory=list)
    client: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=10.0
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def call(self, method: str, path: str, *, deadline: float = 60.0, **kwargs: Any) -> httpx.Response:
        """The answer that is not a 5xx, retrying a 5xx or a lost connection until `deadline` seconds."""
        give_up = time.monotonic() + deadline
        while True:
            try:
                response = await self.client.request(method, path, **kwargs)
                if response.status_code == 429:  # too many writes: wait as told, it is no failure
                    assert time.monotonic() < give_up, f"{self.name}: {method} {path} still refused: 429"
                    await asyncio.sleep(min(5.0, float(response.headers.get("retry-after", "1"))))
                    continue
                if response.status_code < 500:
                    return response
                problem = f"{response.status_code} {response.text[:200]}"
            except RETRYABLE as error:
                problem = f"{type(error).__name__}: {error}"
            self.failures += 1
            self.failures_at.append((time.monotonic(), problem[:200]))
            assert time.monotonic() < give_up, f"{self.name}: {method} {path} still failing: {problem}"
            await asyncio.sleep(0.1)  # a client's backoff before it retries, not synchronisation

    async def get(self, path: str, **params: Any) -> Any:
        response = await self.call("GET", path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    async def fund(self, programme: str, amount: int, currency: str = "EUR") -> None:
        key = uuid.uuid4().hex
        body = {"amount": {"amount": amount, "currency": currency}, "reference": f"transfer-{key[:8]}"}
        response = await self.call(
            "POST", f"/v1/programmes/{programme}/funding", json=body, headers={"Idempotency-Key": key}
        )
        assert response.status_code in (200, 201), response.text

    async def installments(self, status: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.get("/v1/installments", status=status, limit=1000)
        return found

    async def approve(self, installment_id: str) -> str:
        """'approved' by me, or 'taken' when the installment was already approved (by a retry of mine
        whose answer was lost, or by someone else)."""
        response = await self.call("POST", f"/v1/installments/{installment_id}/approve")
        if response.status_code == 200:
            return "approved"
        assert response.status_code == 409, response.text
        return "taken"

    async def disburse(self, installment_id: str) -> str:
        """'paid' (by this call or its replay), or 'lost' when another officer paid it first."""
        response = await self.call(
            "POST",
            f"/v1/installments/{installment_id}/disburse",
            json={**TRANSFER, "payment_reference": f"{self.name}-{installment_id[:8]}"},
            headers={"Idempotency-Key": f"{self.name}:{installment_id}"},
        )
        if response.status_code == 200:
            return "paid"
        assert response.status_code == 409, response.text
        assert "already disbursed" in response.json()["detail"], response.text
        return "lost"

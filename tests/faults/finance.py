"""The grants finance API as a client uses it, retrying what a client would retry: a 5xx or a
dropped connection is tried again, with the same Idempotency-Key where the API takes one."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

TRANSFER = {"method": "bank_transfer"}
RETRYABLE = (httpx.TransportError,)
WORK_TIMEOUT_S = 120.0


@dataclass
class Officer:
    """One finance officer's client, counting the calls that failed (5xx or no answer). With
    `fallbacks` (other replicas' URLs) it turns to the next one when a call gets no answer at all,
    as a client behind a load balancer would."""

    name: str
    token: str
    url: str
    fallbacks: tuple[str, ...] = ()
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
                self._next_replica()
            self.failures += 1
            self.failures_at.append((time.monotonic(), problem[:200]))
            assert time.monotonic() < give_up, f"{self.name}: {method} {path} still failing: {problem}"
            await asyncio.sleep(0.1)  # a client's backoff before it retries, not synchronisation

    def _next_replica(self) -> None:
        if self.fallbacks:
            urls = [self.url, *self.fallbacks]
            self.url, self.fallbacks = urls[1], tuple(urls[2:] + urls[:1])
            self.client.base_url = httpx.URL(self.url)

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
            json={**TRANSFER, "payment_reference": f"{self.name}-{installment_id[-8:]}"},
            headers={"Idempotency-Key": f"{self.name}:{installment_id}"},
        )
        if response.status_code == 200:
            return "paid"
        assert response.status_code == 409, response.text
        assert "already disbursed" in response.json()["detail"], response.text
        return "lost"


async def approve_all(
    officer: Officer,
    total: int,
    outcomes: Counter[str],
    timeout: float = WORK_TIMEOUT_S,
    poll_s: float = 0.05,
) -> None:
    """Approve every due installment as it appears, until all `total` are approved or paid; with
    nothing due, look again after `poll_s`."""
    deadline = time.monotonic() + timeout
    while outcomes["approved"] + outcomes["taken"] < total:
        assert time.monotonic() < deadline, f"only {dict(outcomes)} of {total} approved in time"
        due = await officer.installments("due")
        for installment in due:
            outcomes[await officer.approve(installment["id"])] += 1
        if not due:
            await asyncio.sleep(poll_s)  # nothing due yet: poll again


async def disburse_all(
    officer: Officer,
    total: int,
    seed: int,
    outcomes: Counter[str],
    timeout: float = WORK_TIMEOUT_S,
    poll_s: float = 0.05,
) -> None:
    """Pay every approved installment, in an order of this officer's own, until all are paid; with
    nothing approved, look again after `poll_s`."""
    order, deadline = random.Random(seed), time.monotonic() + timeout
    while (paid := len(await officer.installments("disbursed"))) < total:
        assert time.monotonic() < deadline, f"only {paid} of {total} installments paid in time"
        approved = await officer.installments("approved")
        order.shuffle(approved)
        for installment in approved:
            outcomes[await officer.disburse(installment["id"])] += 1
        if not approved:
            await asyncio.sleep(poll_s)  # nothing approved yet: poll again

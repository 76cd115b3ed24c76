"""Finance staff through grants' API: donor funding recorded as it arrives, business plans verified,
and every installment that falls due approved by one officer and disbursed by another. Now and then
a bank returns a transfer: the failure is recorded (the ledger reverses it) and it is paid again."""

from __future__ import annotations

import asyncio
import itertools
import random
from dataclasses import dataclass, field
from typing import Any

from homeward.demo.caseload import Programme
from homeward.demo.client import Api, ApiError
from homeward.demo.team import Team

SUPPLIERS = {
    "housing": "Dom Plus Rentals DOOEL",
    "in_kind": "Vero Market Skopje",
    "education": "Kiril i Metodij School Supplies",
    "vocational_training": "Macedonian Crafts Training Centre",
    "job_placement": "Biznis Start Agency",
    "micro_business": "Agro Tools Trade DOOEL",
}
RETURNED_TRANSFERS = 0.03  # share of bank transfers that come back (closed account, wrong IBAN)


@dataclass(frozen=True)
class Look:
    grants: frozenset[str]  # the grant ids it looked at
    verified: frozenset[str]  # the cases whose business plan was verified before it began
    found: int  # installments it found due or approved (and paid)


@dataclass
class Finance:
    api: Api
    team: Team
    run_id: str
    seed: int
    approved_cases: set[str] = field(default_factory=set)  # case ids whose plan a supervisor approved
    verify_for: set[str] = field(default_factory=set)  # case ids whose business plan gets verified
    grants: dict[str, dict[str, Any]] = field(default_factory=dict)  # case id → its grant, once open
    funded: dict[str, int] = field(default_factory=dict)  # programme → minor units recorded this run
    disbursed: int = 0
    returned: int = 0
    verified: set[str] = field(default_factory=set)
    last_look: Look | None = None  # the last complete look for installments to pay
    errors: list[str] = field(default_factory=list)
    _numbers: itertools.count[int] = field(default_factory=itertools.count)
    _top_ups: int = 0

    async def fund(self, programme: Programme, amount: int, label: str) -> None:
        """Record donor funding received (minor units), under a key unique to this run and tranche."""
        officer = self.team.officers[0]
        await self.api.call(
            "POST",
            "grants",
            f"/v1/programmes/{programme.id}/funding",
            officer.token,
            json={
                "amount": {"amount": amount, "currency": programme.currency},
                "reference": f"{programme.id}/{label}/{self.run_id}",
            },
            headers={"Idempotency-Key": f"demo-{self.run_id}-{programme.id}-{label}"},
        )
        self.funded[programme.id] = self.funded.get(programme.id, 0) + amount

    async def look_after_grants(self) -> None:
        """Find the grants that opened since the last look; verify business plans that are ready."""
        reader = self.team.officers[0].token
        for case_id in sorted(self.approved_cases - set(self.grants)):
            found = await self.api.get("grants", "/v1/grants", reader, case_id=case_id)
            opened = [g for g in found if g["status"] == "open"]
            if opened:
                self.grants[case_id] = opened[0]
        for case_id in sorted((self.verify_for & set(self.grants)) - self.verified):
            grant_id = self.grants[case_id]["id"]
            officer = self.team.officers[len(self.verified) % len(self.team.officers)]
            try:
                await self.api.call(
                    "POST", "grants", f"/v1/grants/{grant_id}/verify-business-plan", officer.token
                )
            except ApiError as error:
                if error.status != 409:  # 409: nothing waits for a business plan (capped to zero)
                    raise
            self.verified.add(case_id)

    async def pay_what_is_due(self) -> int:
        """Approve and disburse every installment of this run's grants that is due (or approved and
        not yet paid); return how many were paid."""
        reader = self.team.officers[0].token
        ours = {g["id"] for g in self.grants.values()}
        verified_before = set(self.verified)
        waiting: list[dict[str, Any]] = []
        for status in ("due", "approved"):
            for offset in itertools.count(0, 1000):
                page = await self.api.get(
                    "grants", "/v1/installments", reader, status=status, limit=1000, offset=offset
                )
                waiting += [i for i in page if i["grant_id"] in ours]
                if len(page) < 1000:
                    break
        results = await asyncio.gather(*(self._pay(i) for i in waiting), return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                self.errors.append(str(result))
        # what this look covered: an installment can only fall due in a grant that opened or had its
        # business plan verified after the look began, so those must be covered by a later one
        self.last_look = Look(frozenset(ours), frozenset(verified_before), len(waiting))
        return sum(1 for r in results if r is True)

    async def top_up_waiting_grants(self, programmes: list[Programme]) -> None:
        """A grant that waits for funding gets it: finance records the donor's next transfer."""
        reader = self.team.auditor.token
        for programme in programmes:
            view = await self.api.get("grants", f"/v1/programmes/{programme.id}", reader)
            short = int(view["awaiting_funding"]["total"])
            if short > 0:
                self._top_ups += 1
                await self.fund(programme, -(-short // 100_000) * 100_000, f"top-up-{self._top_ups}")

    def settled(self) -> bool:
        """Every approved plan's grant is open, each business plan to verify is verified, and a
        look that began after all that found nothing left to pay."""
        look = self.last_look
        open_grants = {g["id"] for g in self.grants.values()}
        return (
            self.approved_cases <= set(self.grants)
            and (self.verify_for & self.approved_cases) <= self.verified
            and look is not None
            and look.found == 0
            and open_grants <= look.grants
            and (self.verify_for & self.approved_cases) <= look.verified
        )

    def _payment(self, installment: dict[str, Any], number: int, rng: random.Random) -> dict[str, Any]:
        reference = f"MK-{self.run_id}-{number:05d}"
        if installment["paid_to"] == "supplier":
            supplier = SUPPLIERS.get(installment["assistance_type"], "Local Supplier DOOEL")
            invoice = f"INV-{self.run_id}-{number:05d}"
            return {
                "method": "supplier_invoice",
                "payment_reference": reference,
                "supplier": supplier,
                "invoice_number": invoice,
            }
        method = "bank_transfer" if rng.random() < 0.75 else "cash"
        return {"method": method, "payment_reference": reference}

    async def _pay(self, installment: dict[str, Any]) -> bool:
        number = next(self._numbers)
        rng = random.Random(f"{self.seed}:{installment['id']}")  # noqa: S311 - a simulation
        path = f"/v1/installments/{installment['id']}"
        approver, disburser = self.team.four_eyes(number)
        if installment["status"] == "due":
            await self.api.call("POST", "grants", f"{path}/approve", approver.token)
        elif installment["approved_by"] == disburser.name:
            disburser = approver  # approved earlier by the one whose turn it is to pay
        payment = self._payment(installment, number, rng)
        key = {"Idempotency-Key": f"demo-{self.run_id}-{installment['id']}-1"}
        await self.api.call("POST", "grants", f"{path}/disburse", disburser.token, json=payment, headers=key)
        if payment["method"] == "bank_transfer" and rng.random() < RETURNED_TRANSFERS:
            reason = "account_closed"  # a code: the ledger keeps it
            # recorded by another officer than the one who paid (separation of duties)
            recorder = next(o for o in self.team.officers if o.name != disburser.name)
            await self.api.call("POST", "grants", f"{path}/fail", recorder.token, json={"reason": reason})
            self.returned += 1
            second_approver, second_disburser = self.team.four_eyes(number + 1)
            await self.api.call("POST", "grants", f"{path}/approve", second_approver.token)
            retry = {**payment, "payment_reference": f"{payment['payment_reference']}-R"}
            key = {"Idempotency-Key": f"demo-{self.run_id}-{installment['id']}-2"}
            await self.api.call(
                "POST", "grants", f"{path}/disburse", second_disburser.token, json=retry, headers=key
            )
        self.disbursed += 1
        return True

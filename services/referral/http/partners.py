"""The partners in the directory and each one's load per category (read-only).

Readers who may not see vulnerabilities get the directory without the loads: a specialised
partner's count moving when a referral is made would tell them which case it took."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from services.referral.core.directory import Directory, Eligibility
from services.referral.store import referrals as store
from shared.db import Pool
from shared.events import Category, ReferralStatus
from shared.http.params import known_query_only
from shared.identity.model import User
from shared.privacy import sees_vulnerabilities

from .deps import directory, pool, readers

router = APIRouter(dependencies=[Depends(known_query_only)])


class CategoryLoad(BaseModel):
    category: Category
    capacity: int
    deadline_hours: int
    # None for readers who may not see vulnerabilities
    accepted: int | None
    awaiting_answer: int | None  # issued or escalated: a place is held until the partner answers
    available: int | None


class PartnerOut(BaseModel):
    id: str
    name: str
    municipalities: list[str]
    arrival_points: list[str] = []  # airport reception and transport
    eligibility: Eligibility
    categories: list[CategoryLoad]


class PartnerList(BaseModel):
    partners: list[PartnerOut]


@router.get("/v1/partners", response_model=PartnerList)
async def partners(
    listed: Directory = Depends(directory), database: Pool = Depends(pool), reader: User = Depends(readers)
) -> PartnerList:
    told = sees_vulnerabilities(reader.role)
    counts = await store.open_counts(database) if told else {}
    out = []
    for partner in sorted(listed.partners, key=lambda p: p.id):
        loads = []
        for category, service in partner.categories.items():
            accepted = counts.get((partner.id, category, ReferralStatus.ACCEPTED), 0)
            awaiting = counts.get((partner.id, category, ReferralStatus.ISSUED), 0) + counts.get(
                (partner.id, category, ReferralStatus.ESCALATED), 0
            )
            loads.append(
                CategoryLoad(
                    category=category,
                    capacity=service.capacity,
                    deadline_hours=service.deadline_hours,
                    accepted=accepted if told else None,
                    awaiting_answer=awaiting if told else None,
                    available=max(0, service.capacity - accepted - awaiting) if told else None,
                )
            )
        out.append(
            PartnerOut(
                id=partner.id,
                name=partner.name,
                municipalities=list(partner.municipalities),
                arrival_points=list(partner.arrival_points),
                eligibility=partner.eligibility,
                categories=loads,
            )
        )
    return PartnerList(partners=out)

"""The partners in the directory and each one's load per category (read-only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from services.referral.core.directory import Directory, Eligibility
from services.referral.store import referrals as store
from shared.db import Pool
from shared.events import Category, ReferralStatus
from shared.http.params import known_query_only
from shared.identity.model import User

from .deps import directory, pool, readers

router = APIRouter(dependencies=[Depends(known_query_only)])


class CategoryLoad(BaseModel):
    category: Category
    capacity: int
    deadline_hours: int
    accepted: int
    awaiting_answer: int  # issued or escalated: a place is held until the partner answers
    available: int


class PartnerOut(BaseModel):
    id: str
    name: str
    municipalities: list[str]
    eligibility: Eligibility
    categories: list[CategoryLoad]


class PartnerList(BaseModel):
    partners: list[PartnerOut]


@router.get("/v1/partners", response_model=PartnerList)
async def partners(
    listed: Directory = Depends(directory), database: Pool = Depends(pool), _: User = Depends(readers)
) -> PartnerList:
    counts = await store.open_counts(database)
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
                    accepted=accepted,
                    awaiting_answer=awaiting,
                    available=max(0, service.capacity - accepted - awaiting),
                )
            )
        out.append(
            PartnerOut(
                id=partner.id,
                name=partner.name,
                municipalities=list(partner.municipalities),
                eligibility=partner.eligibility,
                categories=loads,
            )
        )
    return PartnerList(partners=out)

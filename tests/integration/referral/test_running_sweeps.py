"""The running service retries unplaced referrals on its own (the periodic job wired in create_app),
without a test calling the sweep: a place freed by a withdrawal is taken by the referral waiting."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from services.referral.app import create_app
from shared.events import Category
from shared.identity.model import Role
from shared.settings import Settings
from shared.topics import Topics
from tests.conftest import new_isolation, release_isolation
from tests.support import eventually, publish, read_topic

from .conftest import TEST_PARTNERS
from .events import needs_assessed

pytestmark = pytest.mark.integration


async def test_the_service_issues_an_unplaced_referral_when_a_place_frees(
    kafka_bootstrap: str, database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "partners.yaml").write_text(TEST_PARTNERS, encoding="utf-8")
    default_config: Path = Settings.model_fields["config_dir"].default
    for name in ("municipalities.yaml", "arrival-points.yaml"):
        shutil.copy(default_config / name, tmp_path / name)
    isolation = new_isolation(kafka_bootstrap, database_url, config_dir=tmp_path)
    topics = Topics(isolation.settings.topic_prefix)
    app = create_app(isolation.settings, sweep_interval_s=0.5)
    try:
        async with app.router.lifespan_context(app):
            _, token = await app.state.identity.add_user(
                "caseworker-sweeps", Role.CASEWORKER, programmes=["NL-AVRR"]
            )
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://referral.test",
                headers={"Authorization": f"Bearer {token}"},
            )
            first, waiting = (
                needs_assessed(municipality="veles", needs=[Category.HOUSING]) for _ in range(2)
            )
            for event in (first, waiting):
                await publish(
                    kafka_bootstrap, topics.returnees.name, [event.to_bytes()], key=event.key.encode()
                )

            async def referral_of(case: str, status: str) -> dict[str, str] | None:
                listed = (await client.get("/v1/referrals", params={"case_id": case})).json()["referrals"]
                return next((r for r in listed if r["status"] == status), None)

            holding = await eventually(
                lambda: referral_of(first.key, "issued"), what="the first to be issued"
            )
            await eventually(lambda: referral_of(waiting.key, "unplaced"), what="the second to wait")
            withdrawn = await client.post(
                f"/v1/referrals/{holding['referral_id']}/withdraw", json={"reason": "no_longer_needed"}
            )
            assert withdrawn.status_code == 200

            placed = await eventually(
                lambda: referral_of(waiting.key, "issued"),
                timeout=30,
                what="the job to issue the waiting one",
            )
            assert placed["partner_id"] == "veles-homes"
            records = await read_topic(kafka_bootstrap, topics.partner("veles-homes").name, at_least=2)
            issued = [json.loads(r.value) for r in records if r.key == waiting.key.encode()]
            assert [(e["type"], e["data"]["referral_id"]) for e in issued] == [
                ("ReferralIssued", placed["referral_id"])
            ]
            await client.aclose()
    finally:
        await release_isolation(isolation)

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
                f"caseworker-{isolation.schema}", Role.CASEWORKER, programmes=["NL-AVRR"]
            )
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://referral.test",
                headers={"Authorization": f"Bearer {token}"},
            )
            cases = [needs_assessed(municipality="veles", needs=[Category.HOUSING]) for _ in range(2)]
            for event in cases:
                await publish(
                    kafka_bootstrap, topics.returnees.name, [event.to_bytes()], key=event.key.encode()
                )

            async def referral_of(case: str, status: str) -> dict[str, str] | None:
                listed = (await client.get("/v1/referrals", params={"case_id": case})).json()["referrals"]
                return next((r for r in listed if r["status"] == status), None)

            async def one_placed_one_waiting() -> tuple[dict[str, str], str] | None:
                # the two cases sit in different partitions: either may be routed first
                for held, other in ((cases[0].key, cases[1].key), (cases[1].key, cases[0].key)):
                    holding = await referral_of(held, "issued")
                    if holding and await referral_of(other, "unplaced"):
                        return holding, other
                return None

            found = await eventually(
                one_placed_one_waiting, timeout=60, what="one case placed, the other waiting"
            )
            assert found is not None
            holding, waiting = found
            withdrawn = await client.post(
                f"/v1/referrals/{holding['referral_id']}/withdraw", json={"reason": "no_longer_needed"}
            )
            assert withdrawn.status_code == 200

            placed = await eventually(
                lambda: referral_of(waiting, "issued"),
                timeout=30,
                what="the job to issue the waiting one",
            )
            assert placed is not None
            assert placed["partner_id"] == "veles-homes"
            records = await read_topic(kafka_bootstrap, topics.partner("veles-homes").name, at_least=2)
            issued = [json.loads(r.value) for r in records if r.key == waiting.encode()]
            assert [(e["type"], e["data"]["referral_id"]) for e in issued] == [
                ("ReferralIssued", placed["referral_id"])
            ]
            await client.aclose()
    finally:
        await release_isolation(isolation)

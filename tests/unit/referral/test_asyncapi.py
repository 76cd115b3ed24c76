"""The partner contract committed under docs/asyncapi/ is the one the code generates."""

from __future__ import annotations

import yaml

from services.referral.asyncapi import DOCUMENT, REGENERATE, contract_document
from services.referral.core.directory import load_directory, load_municipalities
from services.referral.core.routing import WAITED_TOO_LONG_DAYS
from shared.settings import Settings


def test_the_committed_document_matches_the_code() -> None:
    generated = contract_document()
    committed = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
    assert committed == generated, (
        f"{DOCUMENT} does not match the code (events, payloads, partner directory). "
        f"Regenerate it with `{REGENERATE}` and commit the result."
    )


def test_the_document_describes_every_partner_topic_and_the_responses_topics() -> None:
    document = yaml.safe_load(contract_document())
    config = Settings.model_fields["config_dir"].default
    directory = load_directory(config / "partners.yaml", load_municipalities(config / "municipalities.yaml"))
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert {f"referrals.{pid}.v1" for pid in directory.ids()} <= addresses
    assert {f"referral.responses.{pid}.v1" for pid in directory.ids()} <= addresses
    assert {"referral.responses.v1", "referral.status.v1", "intake.returnees.v1"} <= addresses
    schemas = document["components"]["schemas"]
    assert set(schemas["ReferralIssued"]["properties"]) >= {
        "referral_id",
        "priority",
        "respond_by",
        "payload",
    }
    for name in ("ReferralAcceptedEnvelope", "ReferralDeclinedEnvelope", "ReferralCompletedEnvelope"):
        assert schemas[name]["properties"]["type"]["const"] == name.removesuffix("Envelope")
    # a vulnerability only where a category declares one: employment declares none
    assert not [field for field in schemas["EmploymentPayload"]["properties"] if "vulnerab" in field]
    for payload in ("HousingPayload", "EducationPayload", "CarePayload"):
        assert [field for field in schemas[payload]["properties"] if "vulnerab" in field] == [
            "vulnerabilities"
        ]
    # partners are told how priority is derived, and that erasure requests come on their topic
    assert (
        f"more than {WAITED_TOO_LONG_DAYS} days"
        in schemas["ReferralIssued"]["properties"]["priority"]["description"]
    )
    assert f"more than {WAITED_TOO_LONG_DAYS} days" in document["info"]["description"]
    assert schemas["ErasureRequestedEnvelope"]["properties"]["type"]["const"] == "ErasureRequested"


def test_the_document_tells_partners_how_to_move_and_to_deduplicate() -> None:
    document = yaml.safe_load(contract_document())
    shared = document["channels"]["referral.responses.v1:written-by-partners"]
    assert shared["description"].startswith("DEPRECATED: answer on your own topic")
    text = " ".join(document["info"]["description"].split())
    assert "Delivery is at least once" in text
    assert "the same event_id" in text
    assert "write your answers to `referral.responses.<partner_id>.v1` instead" in text

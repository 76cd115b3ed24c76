"""The partner contract document: AsyncAPI generated from the code, committed under docs/asyncapi/.

`homeward referral asyncapi --write` regenerates it; a unit test fails when the committed document
and the code disagree. It is generated from the demo directory with no topic prefix and a
placeholder broker address, so it does not depend on the machine it is generated on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from faststream.specification import AsyncAPI

from shared.settings import Settings
from shared.topics import Topics

from .app import service_directory
from .consumers import Consumers, build_broker
from .use_cases.context import ReferralContext

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "asyncapi" / "referral.yaml"
REGENERATE = "homeward referral asyncapi --write"
DOCUMENT_BOOTSTRAP = "kafka.homeward.internal:9092"
HEADER = f"# Generated from services/referral by `{REGENERATE}`. Do not edit by hand.\n"

DESCRIPTION = """\
How partner organisations work with Homeward's referral service.

Each partner reads its own topic `referrals.<partner_id>.v1` (ReferralIssued, ReferralWithdrawn,
ErasureRequested) and answers on its own topic `referral.responses.<partner_id>.v1`
(ReferralAccepted, ReferralDeclined, ReferralCompleted), which only its login may write: an answer
counts as the partner's because of the topic it arrived on, never because of what it says. Every
message is an envelope keyed by the case id: event_id (UUIDv7), type, schema_version, occurred_at,
key, correlation_id, causation_id, producer, data. Answer with the referral's correlation_id, the
ReferralIssued event_id as causation_id, and your partner id as producer and data.partner_id. Within
a topic version changes are additive: ignore fields you do not know.

Delivery is at least once. After a fault on Homeward's side an event can arrive twice, with the same
event_id: keep the event_ids you have acted on (a bounded set of recent ones is enough) and skip one
you have seen. Answering a referral twice is harmless: an answer that repeats the referral's state
(accepted twice, completed twice) changes nothing. So is answering one Homeward withdrew while you
were deciding: the answer changes nothing, and the ReferralWithdrawn on your topic stands.

Priority is the caseworker's urgency (normal, high, urgent) from the latest assessment; a normal
case whose returnee arrived more than 30 days before the referral is issued is high. It is never
derived from vulnerabilities, and neither is the choice of partner, except for the vulnerabilities
a category declares (a medical partner may be told of a medical condition, a housing partner that
a safe house is needed); those arrive in the payload's `vulnerabilities`, and only when the returnee
consented to share with that category.

ReferralWithdrawn ends a referral; stop working on it. Its `reason` is a code: `need_removed`,
`consent_withdrawn`, `case_closed`, `personal_data_erased`, the return's changes (`arrival_rescheduled`,
`arrival_cancelled`, `arrival_missed`, `arrival_confirmed`), a caseworker's reason (`returnee_declined`,
`no_longer_needed`, `wrong_category`, `partner_unresponsive`, `other`), or a re-route to another partner
(`rerouted` by a caseworker; `no_answer_rerouted` when an escalated referral had no answer by its second
deadline). The referral may go to another partner; a partner never sees where. A referral that found no
partner may be issued to you later, when a caseworker places it by hand or a place of yours frees:
it is a plain ReferralIssued, answered as any.

ErasureRequested: delete everything you hold about the case (the referrals it names). It comes when
the case's personal data is erased in Homeward (retention ended, the returnee's request) or the
returnee withdrew consent to share with your category, also after a completed referral.

Moving from the shared topic: `referral.responses.v1` is deprecated and read for one deprecation
period only. To move, write your answers to `referral.responses.<partner_id>.v1` instead (same
messages, same keys; your login already may), once your answers on the shared topic are acknowledged.
Nothing else changes; answers still on the shared topic are applied with the old check and logged as
deprecated until the topic is retired.
"""


def contract_document() -> str:
    settings = Settings(
        kafka_bootstrap_servers=DOCUMENT_BOOTSTRAP,
        topic_prefix="",
        config_dir=Settings.model_fields["config_dir"].default,
    )
    directory = service_directory(settings)
    broker = build_broker(settings, Consumers(ReferralContext(directory, Topics(settings.topic_prefix))))
    specification = AsyncAPI(
        broker, title="Homeward referral: partner contract", version="1", description=DESCRIPTION
    ).to_specification()
    body = yaml.safe_dump(
        _sorted(specification.to_jsonable()), sort_keys=False, allow_unicode=True, width=110
    )
    return HEADER + body


def _sorted(document: dict[str, Any]) -> dict[str, Any]:
    # channels, operations and components in name order: the file then changes only where the
    # contract does, whatever order faststream happens to hold its endpoints in
    for section in ("channels", "operations"):
        document[section] = dict(sorted(document.get(section, {}).items()))
    components = document.get("components", {})
    for section in ("messages", "schemas"):
        components[section] = dict(sorted(components.get(section, {}).items()))
    return document


def write_document(path: Path = DOCUMENT) -> bool:
    """Write the document; True when it changed."""
    text = contract_document()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True

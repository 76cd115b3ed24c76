"""What the grants use cases need from the running service, in one object they are handed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.grants.core.ledger.checkpoint import CheckpointPolicy, CheckpointSigner
from services.grants.core.policies import DonorPolicies
from shared.db import Pool
from shared.topics import Topics

PRODUCER = "grants"
SYSTEM_ACTOR = "grants-service"  # recorded_by of postings the service makes on its own


def utc_today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class CheckpointSigning:
    """The key the service signs ledger checkpoints with, when it signs, and every public key
    (this one's and those it signed with before a rotation) its own checks accept, by key id."""

    signer: CheckpointSigner
    policy: CheckpointPolicy
    public_keys: Mapping[str, Ed25519PublicKey]


@dataclass(frozen=True)
class GrantsContext:
    """The pool, the topics, the donor policies, the checkpoint signing, and the service's idea
    of today (tests move it)."""

    pool: Pool
    topics: Topics
    policies: DonorPolicies
    signing: CheckpointSigning
    today: Callable[[], date] = field(default=utc_today)

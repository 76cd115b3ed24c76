"""A ledger with signed checkpoints, built in memory the way the service builds it: for the unit
tests of the offline checks and the payment proofs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.grants.core.ledger.chain import GENESIS_HASH, ChainedEntry, sealed
from services.grants.core.ledger.checkpoint import Checkpoint, CheckpointSigner, new_key_pair, signer_from_pem
from services.grants.core.ledger.journal import journal_entries
from services.grants.core.ledger.merkle import Frontier
from services.grants.core.ledger.postings import Posting, commitment, disbursement, funding_received, reversal
from shared.money import Money

PROGRAMME = "NL-AVRR"
SIGNED_AT = datetime(2025, 3, 1, 13, 0, tzinfo=UTC)


def new_signer() -> CheckpointSigner:
    return signer_from_pem(new_key_pair()[0])


def grant_lives(count: int) -> tuple[list[Posting], list[str]]:
    """`count` grants, each funded, committed, paid and the payment reversed (8 entries each);
    and the installment id of each payment."""
    postings: list[Posting] = []
    installments: list[str] = []
    for n in range(count):
        grant, installment = uuid4(), uuid4()
        paid = disbursement(
            PROGRAMME,
            grant,
            installment,
            Money(amount=18_000, currency="EUR"),
            idempotency_key=f"d{n}",
            memo="x",
        )
        postings += [
            funding_received(
                PROGRAMME, Money(amount=1_000_000, currency="EUR"), idempotency_key=f"f{n}", reference="NL-1"
            ),
            commitment(PROGRAMME, grant, Money(amount=180_000, currency="EUR")),
            paid,
            reversal(paid, uuid4(), memo="payment returned: account closed"),
        ]
        installments.append(str(installment))
    return postings, installments


def chained(postings: list[Posting]) -> list[ChainedEntry]:
    entries: list[ChainedEntry] = []
    for posting in postings:
        last = entries[-1] if entries else None
        entries += journal_entries(
            posting,
            transaction_id=uuid4(),
            recorded_by="fin-a",
            recorded_at=datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC),
            after_seq=last.seq if last else 0,
            after_hash=last.hash if last else GENESIS_HASH,
        )
    return entries


def rechained(entries: list[ChainedEntry], **changes: object) -> list[ChainedEntry]:
    """`entries` with every hash recomputed from the first (a forger's rewrite), each changed by
    `changes` first."""
    result: list[ChainedEntry] = []
    previous = GENESIS_HASH
    for entry in entries:
        entry = sealed(entry.model_copy(update={**changes, "prev_hash": previous}))
        result.append(entry)
        previous = entry.hash
    return result


def checkpoints_at(
    entries: list[ChainedEntry], counts: list[int], signer: CheckpointSigner
) -> list[Checkpoint]:
    """What the service signs when its ledger reaches each of `counts` entries."""
    frontier, signed = Frontier(), list[Checkpoint]()
    for entry in entries:
        frontier.append(bytes.fromhex(entry.hash))
        if entry.seq in counts:
            signed.append(
                signer.sign(
                    number=len(signed) + 1,
                    entry_count=entry.seq,
                    head_hash=entry.hash,
                    merkle_root=frontier.root().hex(),
                    signed_at=SIGNED_AT + timedelta(minutes=len(signed)),
                )
            )
    return signed

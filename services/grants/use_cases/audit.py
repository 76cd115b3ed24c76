"""The ledger checked where it lives (the chain recomputed from the database, against the head),
and exported for an auditor to check offline."""

from __future__ import annotations

import io
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import aclosing

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.grants.core.ledger.audit import ChainVerdict, ChainVerifier
from services.grants.core.ledger.chain import ChainedEntry
from services.grants.core.ledger.export import write_csv
from services.grants.store import checkpoints as checkpoint_store
from services.grants.store import ledger_reads
from shared.db import Pool


async def feed(verifier: ChainVerifier, entries: AsyncGenerator[ChainedEntry, None]) -> None:
    """Feed `entries` to `verifier` until it finds a break or they end, then close the stream
    (it holds a connection, or a cursor in the caller's transaction)."""
    async with aclosing(entries):
        async for entry in entries:
            if not verifier.feed(entry):
                return


async def verify_database_chain(
    pool: Pool, public_keys: Mapping[str, Ed25519PublicKey] | None = None, *, chunk: int = 2000
) -> ChainVerdict:
    """Recompute every entry's hash up to the chain head as it stood when the check began (later
    appends are left for the next check), then compare the last hash with the head's. With
    `public_keys`, also against every stored checkpoint (read first: each covers at most the head
    read after it). The entries stream through one server-side cursor, `chunk` at a time: the
    memory it takes does not grow with the ledger."""
    checkpoints = await checkpoint_store.listed(pool) if public_keys is not None else []
    head = await ledger_reads.chain_head(pool)
    verifier = ChainVerifier(checkpoints, public_keys)
    await feed(verifier, ledger_reads.every_entry(pool, chunk, upto=head.seq))
    verdict = verifier.verdict()
    if verdict.ok and (verifier.previous_seq, verifier.previous_hash) != (head.seq, head.hash):
        return verdict.model_copy(
            update={
                "ok": False,
                "first_bad_seq": verifier.previous_seq + 1 if verifier.previous_seq < head.seq else head.seq,
                "problem": (
                    f"the chain head records entry {head.seq} with hash {head.hash}, but the entries end "
                    f"at {verifier.previous_seq} with hash {verifier.previous_hash}: entries were removed "
                    "or rewritten"
                ),
            }
        )
    return verdict


async def export_csv_chunks(pool: Pool, rows_per_chunk: int = 500) -> AsyncIterator[str]:
    """The whole ledger as CSV text, header first, in chain order (what `homeward ledger verify`
    reads)."""
    buffer = io.StringIO()
    write_csv([], buffer)
    count = 0
    async with aclosing(ledger_reads.every_entry(pool)) as entries:  # a client gone: its connection back
        async for entry in entries:
            write_csv([entry], buffer, header=False)
            count += 1
            if count % rows_per_chunk == 0:
                yield buffer.getvalue()
                buffer = io.StringIO()
    yield buffer.getvalue()

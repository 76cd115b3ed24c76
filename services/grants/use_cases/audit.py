"""The ledger checked where it lives (the chain recomputed from the database, against the head),
and exported for an auditor to check offline."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

from services.grants.core.ledger.chain import ChainVerdict, ChainVerifier, write_csv
from services.grants.store import ledger_reads
from shared.db import Pool


async def verify_database_chain(pool: Pool) -> ChainVerdict:
    """Recompute every entry's hash up to the chain head as it stood when the check began (later
    appends are left for the next check), then compare the last hash with the head's."""
    head = await ledger_reads.chain_head(pool)
    verifier = ChainVerifier()
    async for entry in ledger_reads.every_entry(pool):
        if entry.seq > head.seq or not verifier.feed(entry):
            break
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
    async for entry in ledger_reads.every_entry(pool):
        write_csv([entry], buffer, header=False)
        count += 1
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer = io.StringIO()
    yield buffer.getvalue()

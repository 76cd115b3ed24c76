"""The read model's generations: which one is live, a new one for a rebuild, the swap."""

from __future__ import annotations

from shared.db import Connection

from . import MODEL_TABLES


async def live_generation(connection: Connection, *, share_lock: bool = False) -> int:
    """The live generation. With `share_lock` (the live consumer's transactions) a swap waits for
    this transaction, and this one for a swap in progress — then it reads the new generation."""
    lock = " FOR SHARE" if share_lock else ""
    generation: int = await connection.fetchval(f"SELECT current FROM model_generation WHERE id = 1{lock}")
    return generation


async def new_generation(connection: Connection) -> int:
    generation: int = await connection.fetchval(
        "INSERT INTO generations (generation)"
        " SELECT max(generation) + 1 FROM generations RETURNING generation"
    )
    return generation


async def lock_for_swap(connection: Connection) -> int:
    """Hold the pointer (the live consumer waits) and return the live generation."""
    generation: int = await connection.fetchval(
        "SELECT current FROM model_generation WHERE id = 1 FOR UPDATE"
    )
    return generation


async def swap(connection: Connection, generation: int, events: int) -> None:
    await connection.execute(
        "UPDATE model_generation SET current = $1, swapped_at = now() WHERE id = 1", generation
    )
    await connection.execute(
        "UPDATE generations SET finished_at = now(), events = $2 WHERE generation = $1", generation, events
    )


async def drop_generation(connection: Connection, generation: int) -> None:
    """Delete every row of a generation that is not live (a retired one, or an abandoned rebuild)."""
    for table in MODEL_TABLES:  # names from the constant above, never from input
        await connection.execute(f"DELETE FROM {table} WHERE generation = $1", generation)


async def retired_generations(connection: Connection) -> list[int]:
    rows = await connection.fetch(
        "SELECT generation FROM generations WHERE generation <> (SELECT current FROM model_generation)"
    )
    return [row["generation"] for row in rows]


async def model_rows(connection: Connection, generation: int) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the generation, table by table, without the generation column, sorted: two
    generations built from the same events hold the same rows."""
    rows: dict[str, list[tuple[object, ...]]] = {}
    for table in MODEL_TABLES:
        found = await connection.fetch(f"SELECT * FROM {table} WHERE generation = $1", generation)
        rows[table] = sorted(
            (tuple(value for key, value in record.items() if key != "generation") for record in found),
            key=repr,
        )
    return rows

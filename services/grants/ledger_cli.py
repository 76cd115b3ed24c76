"""`homeward ledger ...`: what an auditor, a donor and an operator do with the grants ledger.

    verify FILE.csv [--public-key KEY]... [--checkpoints FILE]... [--from-topic]
        the chain of an export, offline; with keys, against every signed checkpoint given — those
        beside the export (FILE.checkpoints.json), in other files, read from the topic — saying
        which checkpoint the file is covered up to
    prove INSTALLMENT [-o FILE]          a payment proof, from the database (DATABASE_URL)
    verify-proof FILE --public-key KEY   a payment proof, with nothing but the file and the key
    keygen FILE [--if-missing]           an Ed25519 key pair: FILE (private) and FILE.pub

Each check prints its verdict and exits 0 (holds) or 1 (does not, or could not be checked).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from .core.ledger.checkpoint import Checkpoint

CHECKPOINTS_SUFFIX = ".checkpoints.json"


def register_ledger(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ledger = commands.add_parser(
        "ledger", help="audit the grants ledger: verify, prove, verify-proof, keygen"
    )
    actions = ledger.add_subparsers(dest="ledger_action", required=True, metavar="ACTION")

    verify = actions.add_parser("verify", help="check an export.csv's chain, and against signed checkpoints")
    verify.add_argument("file", type=Path, metavar="FILE.csv")
    verify.add_argument(
        "--public-key", type=Path, action="append", default=[], metavar="KEY", help="grants' public key (PEM)"
    )
    verify.add_argument(
        "--checkpoints", type=Path, action="append", default=[], metavar="FILE", help="signed checkpoints"
    )
    verify.add_argument(
        "--from-topic",
        action="store_true",
        help="also read every checkpoint from grants.ledger-checkpoints.v1 (KAFKA_BOOTSTRAP_SERVERS)",
    )
    verify.set_defaults(handler=verify_export)

    prove = actions.add_parser("prove", help="write the proof of one installment's payment for its donor")
    prove.add_argument("installment", type=UUID, metavar="INSTALLMENT")
    prove.add_argument("-o", "--output", type=Path, help="the proof file (default: payment-<id>.json)")
    prove.set_defaults(handler=prove_payment)

    check = actions.add_parser("verify-proof", help="check a payment proof with the public key alone")
    check.add_argument("file", type=Path, metavar="FILE")
    check.add_argument("--public-key", type=Path, action="append", required=True, metavar="KEY")
    check.set_defaults(handler=verify_proof)

    keygen = actions.add_parser("keygen", help="make an Ed25519 key pair for signing checkpoints")
    keygen.add_argument(
        "file", type=Path, metavar="FILE", help="the private key; the public key goes to FILE.pub"
    )
    keygen.add_argument("--if-missing", action="store_true", help="keep an existing key (exit 0)")
    keygen.set_defaults(handler=make_key)


def _public_keys(paths: list[Path]) -> dict[str, Ed25519PublicKey]:
    from .core.ledger.checkpoint import keys_by_id, public_key_from_pem

    return keys_by_id(public_key_from_pem(path.read_bytes()) for path in paths)


def verify_export(args: argparse.Namespace) -> int:
    """One line: the verdict. With checkpoints beside the file but no key, a second line says they
    were not checked."""
    from .core.ledger.audit import verify_entries
    from .core.ledger.checkpoint import KeyFormatError
    from .core.ledger.export import ExportFormatError, parse_checkpoints, read_csv

    beside = args.file.with_name(args.file.stem + CHECKPOINTS_SUFFIX)
    sources = [*([beside] if beside.exists() else []), *args.checkpoints]
    try:
        keys = _public_keys(args.public_key)
        checkpoints: list[Checkpoint] = []
        for source in sources:
            checkpoints += parse_checkpoints(source.read_text())
        if args.from_topic:
            checkpoints += _checkpoints_from_topic()
        if args.public_key and not checkpoints:
            print(
                f"FAILED: no signed checkpoint to check {args.file} against (none beside it, given, or read)"
            )
            return 1
        with args.file.open(newline="") as stream:
            verdict = verify_entries(read_csv(stream), checkpoints if keys else (), keys or None)
    except OSError as error:
        print(f"FAILED: cannot read {error.filename}: {error.strerror}")
        return 1
    except (ExportFormatError, KeyFormatError) as error:
        print(f"FAILED: {args.file} {error}" if isinstance(error, ExportFormatError) else f"FAILED: {error}")
        return 1
    print(verdict.line())
    if checkpoints and not keys:
        print(f"note: {len(checkpoints)} signed checkpoints were not checked: give --public-key KEY")
    return 0 if verdict.ok else 1


def _checkpoints_from_topic() -> list[Checkpoint]:
    import asyncio

    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    from shared.kafka.security import kafka_security_options
    from shared.settings import Settings
    from shared.topics import Topics

    from .core.ledger.export import parse_checkpoints

    settings = Settings()
    security = kafka_security_options(settings)
    topic = Topics(settings.topic_prefix).ledger_checkpoints.name

    async def partitions() -> list[TopicPartition]:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers, **security)
        await admin.start()
        try:
            (described,) = await admin.describe_topics([topic])
        finally:
            await admin.close()
        if described["error_code"] != 0:
            raise OSError(
                0, f"the topic {topic} is not readable here (error {described['error_code']})", topic
            )
        return [TopicPartition(topic, p["partition"]) for p in described["partitions"]]

    async def read() -> list[Checkpoint]:
        assigned = await partitions()
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            enable_auto_commit=False,
            group_id=None,
            **security,
        )
        await consumer.start()
        try:
            consumer.assign(assigned)
            await consumer.seek_to_beginning(*assigned)
            ends = await consumer.end_offsets(assigned)
            lines: list[str] = []
            while any([await consumer.position(p) < ends[p] for p in assigned]):
                batch = await consumer.getmany(*assigned, timeout_ms=1000)
                lines += [
                    record.value.decode() for records in batch.values() for record in records if record.value
                ]
            return parse_checkpoints("\n".join(lines))
        finally:
            await consumer.stop()

    return asyncio.run(read())


def prove_payment(args: argparse.Namespace) -> int:
    import asyncio

    from shared.db import create_pool
    from shared.settings import Settings

    from .core.errors import GrantsError
    from .use_cases.proofs import payment_proof

    async def prove() -> str:
        settings = Settings()
        pool = await create_pool(settings.database_url, settings.schema_for("grants"), min_size=1, max_size=1)
        try:
            return (await payment_proof(pool, args.installment)).model_dump_json(indent=2)
        finally:
            await pool.close()

    output: Path = args.output or Path(f"payment-{args.installment}.json")
    try:
        proof = asyncio.run(prove())
    except GrantsError as error:
        print(f"homeward ledger prove: {error}", file=sys.stderr)
        return 1
    output.write_text(proof + "\n")
    print(f"wrote {output}: the payment of installment {args.installment}, checkable with `homeward ledger "
          f"verify-proof {output} --public-key KEY`")  # fmt: skip
    return 0


def verify_proof(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from .core.ledger.checkpoint import KeyFormatError
    from .core.ledger.proof import PaymentProof, verify_payment_proof

    try:
        keys = _public_keys(args.public_key)
        proof = PaymentProof.model_validate_json(args.file.read_bytes())
    except OSError as error:
        print(f"FAILED: cannot read {error.filename}: {error.strerror}")
        return 1
    except KeyFormatError as error:
        print(f"FAILED: {error}")
        return 1
    except ValidationError as error:
        print(f"FAILED: {args.file} is not a payment proof: {error.errors()[0]['msg']}")
        return 1
    verdict = verify_payment_proof(proof, keys)
    print(verdict.text())
    return 0 if verdict.ok else 1


def make_key(args: argparse.Namespace) -> int:
    from .core.ledger.checkpoint import key_id_of, signer_from_pem

    private_path: Path = args.file
    public_path = private_path.with_name(private_path.name + ".pub")
    if private_path.exists() and not args.if_missing:
        print(f"homeward ledger keygen: {private_path} exists; keeping it", file=sys.stderr)
        return 1
    if not private_path.exists():
        write_new_key_pair(private_path)
    signer = signer_from_pem(private_path.read_bytes())
    key_id = key_id_of(signer.public_key)
    print(f"key {key_id}: private {private_path} (keep it secret), public {public_path}")
    return 0


def write_new_key_pair(private_path: Path) -> None:
    """A fresh Ed25519 key pair: the private key at `private_path`, created 0600 from the start
    (never readable by anyone else, not even for a moment), the public key beside it (`.pub`)."""
    from .core.ledger.checkpoint import new_key_pair

    private, public = new_key_pair()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(private)
    private_path.with_name(private_path.name + ".pub").write_bytes(public)

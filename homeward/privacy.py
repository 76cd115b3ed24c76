"""`homeward privacy export CASE`, `homeward privacy erase CASE --reason CODE` and
`homeward privacy purge [--dry-run]`: a data subject's requests and the retention period.

- export: everything Homeward holds about the person, as JSON on stdout — intake's case, its
  timeline and access log, and what referral and grants hold for the case — each read by its own
  service's code in its own schema, and each read recorded in that service's access log
  (purpose `subject_access`);
- erase: the case's personal data at once (a case still open is closed first); intake publishes
  PersonalDataErased, and referral and grants drop their copies as they consume it; referral asks
  every partner that received the case to delete it;
- purge: erase every case whose programme's retention period after closure is over (what intake's
  daily job does); `--dry-run` lists them and changes nothing.

The operator's account name is recorded as the actor in the access logs (`operator <name>`). Each
service's part runs as that service's own database role (`Settings.runtime_url`), with no more
privilege than the service itself has.
`--intake-schema` and the like name the schemas where they are not the services' names.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any
from uuid import UUID

from shared.events.codes import ErasureReason
from shared.privacy import Actor
from shared.settings import Settings

if TYPE_CHECKING:
    from services.intake.use_cases.context import IntakeContext
    from shared.db import Pool

SERVICES = ("intake", "referral", "grants")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("privacy", help="a data subject's export and erasure; the retention purge")
    actions = parser.add_subparsers(dest="privacy_action", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="print everything held about a case's person, as JSON")
    export.add_argument("case_id", type=UUID, metavar="CASE")
    erase = actions.add_parser("erase", help="erase a case's personal data now")
    erase.add_argument("case_id", type=UUID, metavar="CASE")
    erase.add_argument(
        "--reason",
        required=True,
        choices=[r.value for r in ErasureReason if r is not ErasureReason.RETENTION_ENDED],
        help="why (subject_request: the person asked for it)",
    )
    purge = actions.add_parser("purge", help="erase every case past its programme's retention period")
    purge.add_argument("--dry-run", action="store_true", help="list the cases that are due; erase nothing")
    for action in (export, erase, purge):
        for service in SERVICES:
            action.add_argument(f"--{service}-schema", metavar="NAME", help=f"{service}'s schema")
        action.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    import getpass
    import json

    from services.intake.core.errors import CaseNotFound
    from services.intake.core.retention import RetentionError
    from shared.logging import configure_logging
    from shared.privacy import operator

    settings = Settings()
    configure_logging("privacy", "INFO", "console")  # log lines to stderr: stdout is the export
    schemas = {s: getattr(args, f"{s}_schema") or settings.schema_for(s) for s in SERVICES}
    actor = operator(getpass.getuser())
    try:
        if args.privacy_action == "export":
            document = await export(settings, schemas, args.case_id, actor)
            json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
            sys.stdout.write("\n")
        elif args.privacy_action == "erase":
            erased = await erase(settings, schemas["intake"], args.case_id, ErasureReason(args.reason), actor)
            print(f"erased the personal data of case {erased} ({args.reason}); referral, grants and the")
            print("partners that received the case are told as intake's relay publishes PersonalDataErased")
        else:
            due = await purge(settings, schemas["intake"], actor, dry_run=args.dry_run)
            verb = "due for erasure" if args.dry_run else "erased"
            for case_id in due:
                print(f"{case_id}\t{verb}")
            print(f"{len(due)} case(s) {verb}")
    except CaseNotFound as missing:
        print(f"homeward privacy {args.privacy_action}: no case {missing}", file=sys.stderr)
        return 1
    except RetentionError as error:
        print(f"homeward privacy {args.privacy_action}: {error}", file=sys.stderr)
        return 2
    return 0


async def export(settings: Settings, schemas: dict[str, str], case_id: UUID, actor: Actor) -> dict[str, Any]:
    """Each service's part, read by that service's own code against its own schema."""
    from services.grants.use_cases import subject_access as grants_export
    from services.intake.use_cases import privacy as intake_privacy
    from services.referral.use_cases import subject_access as referral_export
    from shared.db import create_pool

    document: dict[str, Any] = {"case_id": str(case_id)}
    intake_pool = await create_pool(settings.runtime_url("intake"), schemas["intake"], min_size=1, max_size=2)
    try:
        document["intake"] = await intake_privacy.export_case(_intake(settings, intake_pool), case_id, actor)
    finally:
        await intake_pool.close()
    for service, part in (("referral", referral_export), ("grants", grants_export)):
        pool = await create_pool(settings.runtime_url(service), schemas[service], min_size=1, max_size=2)
        try:
            document[service] = await part.export_case(pool, case_id, actor)
        finally:
            await pool.close()
    return document


async def erase(settings: Settings, schema: str, case_id: UUID, reason: ErasureReason, actor: Actor) -> UUID:
    from services.intake.use_cases import privacy as intake_privacy
    from shared.db import create_pool

    pool = await create_pool(settings.runtime_url("intake"), schema, min_size=1, max_size=2)
    try:
        gone = await intake_privacy.erase_case(_intake(settings, pool), case_id, reason, actor)
        return gone.id
    finally:
        await pool.close()


async def purge(settings: Settings, schema: str, actor: Actor, *, dry_run: bool) -> list[UUID]:
    from services.intake.core.catalogue import load_catalogue
    from services.intake.core.retention import RETENTION_FILE, load_retention
    from services.intake.store import cases as case_store
    from services.intake.use_cases import privacy as intake_privacy
    from shared.db import create_pool

    catalogue = load_catalogue(settings.config_dir)
    retention = load_retention(settings.config_dir / RETENTION_FILE, catalogue.programmes)
    pool = await create_pool(settings.runtime_url("intake"), schema, min_size=1, max_size=2)
    try:
        context = _intake(settings, pool)
        if dry_run:
            periods = {p: period.days_after_closure for p, period in retention.programmes.items()}
            return await case_store.due_for_erasure(pool, periods, context.clock(), 100_000)
        return await intake_privacy.purge(context, retention, actor)
    finally:
        await pool.close()


def _intake(settings: Settings, pool: Pool) -> IntakeContext:
    from services.intake.core.catalogue import load_catalogue
    from services.intake.use_cases.context import IntakeContext
    from shared.topics import Topics

    return IntakeContext(pool, Topics(settings.topic_prefix), load_catalogue(settings.config_dir))

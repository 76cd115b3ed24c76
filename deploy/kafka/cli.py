"""`homeward kafka acl sync`: make the broker's logins, ACLs, quotas and topics match `partners.yaml`.

For a broker Homeward runs itself (the local launcher's secured mode, docker compose with SASL);
on Kubernetes the Strimzi KafkaUsers in deploy/k8s/kafka/ say the same and the operator applies them.
It connects as the settings say (KAFKA_BOOTSTRAP_SERVERS, HOMEWARD_KAFKA_SECURITY_PROTOCOL, ...): an
admin login, or the local broker's loopback listener.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("kafka", help="Kafka access control: principals, ACLs and quotas")
    areas = parser.add_subparsers(dest="kafka_area", required=True, metavar="AREA")
    acl = areas.add_parser("acl", help="ACLs derived from partners.yaml")
    actions = acl.add_subparsers(dest="acl_action", required=True, metavar="ACTION")
    sync = actions.add_parser(
        "sync",
        help="create missing topics, logins, ACLs and partner quotas; delete extra ACLs and removed "
        "partners' logins and quotas",
        description=__doc__,
    )
    sync.add_argument("--dry-run", action="store_true", help="only print what would change")
    sync.add_argument(
        "--credentials-dir",
        type=Path,
        default=None,
        help="where new logins' passwords are written, one <user>.password file each "
        "(default: the local broker's kafka/credentials folder)",
    )
    sync.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from aiokafka.errors import KafkaError
    from confluent_kafka import KafkaException

    from deploy.k8s.generate_topics import partner_ids
    from deploy.local.infra import kafka_broker
    from shared.settings import Settings
    from shared.topics import Topics

    from .access import desired_access
    from .admin import AccessError
    from .quotas import QuotaError
    from .sync import sync_access

    settings = Settings()
    access = desired_access(partner_ids(settings.config_dir), Topics(settings.topic_prefix))
    credentials = args.credentials_dir or kafka_broker().credentials_dir
    try:
        report = asyncio.run(sync_access(settings, access, credentials, dry_run=args.dry_run))
    except (AccessError, QuotaError, KafkaError, KafkaException, OSError) as error:
        print(f"homeward kafka acl sync: {error}", file=sys.stderr)
        return 2
    verb = "would " if args.dry_run else ""
    for name in report.topics_created:
        print(f"created topic {name}")
    for user in report.users_created:
        print(f"{verb}create login {user}" + ("" if args.dry_run else f" (password in {credentials})"))
    for user in report.users_deleted:
        print(f"{verb}delete login {user}")
    for binding in report.acls_deleted:
        print(f"{verb}delete ACL: {binding.line()}")
    for binding in report.acls_created:
        print(f"{verb}create ACL: {binding.line()}")
    for user, quota in report.quotas_set:
        print(
            f"{verb}set quota of {user}: produce {quota.producer_byte_rate} B/s, "
            f"fetch {quota.consumer_byte_rate} B/s"
        )
    for user in report.quotas_removed:
        print(f"{verb}remove the quota of {user}")
    print(
        f"{len(access.users)} logins, {len(access.acls)} ACLs wanted; "
        + ("in sync" if not report.changed else f"{verb}changed")
    )
    return 0

"""Client security settings, the same for producers, consumers and admin clients."""

from __future__ import annotations

from typing import Any

from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from shared.settings import Settings


def kafka_security_options(settings: Settings) -> dict[str, Any]:
    """aiokafka keyword arguments (producer, consumer, admin client) for the configured security
    protocol: nothing for PLAINTEXT; SASL credentials and/or a TLS context that verifies the
    brokers with `kafka_ssl_cafile` (the system's CAs without one)."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return {}
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        from aiokafka.helpers import create_ssl_context

        cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
        options["ssl_context"] = create_ssl_context(cafile=cafile)
    if protocol.startswith("SASL_"):
        if not settings.kafka_sasl_username or settings.kafka_sasl_password is None:
            raise ValueError(
                f"HOMEWARD_KAFKA_SECURITY_PROTOCOL={protocol} needs HOMEWARD_KAFKA_SASL_USERNAME"
                " and HOMEWARD_KAFKA_SASL_PASSWORD"
            )
        options.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password.get_secret_value(),
        )
    return options


def broker_security(settings: Settings) -> BaseSecurity | None:
    """The same settings as faststream's `security=` object (its KafkaBroker takes no raw
    aiokafka security keywords)."""
    options = kafka_security_options(settings)
    if not options:
        return None
    context = options.get("ssl_context")
    mechanism = options.get("sasl_mechanism")
    if mechanism is None:
        return BaseSecurity(ssl_context=context, use_ssl=True)
    kinds: dict[str, type[SASLPlaintext | SASLScram256 | SASLScram512]] = {
        "PLAIN": SASLPlaintext,
        "SCRAM-SHA-256": SASLScram256,
        "SCRAM-SHA-512": SASLScram512,
    }
    return kinds[mechanism](
        username=options["sasl_plain_username"],
        password=options["sasl_plain_password"],
        ssl_context=context,
        use_ssl=options["security_protocol"] == "SASL_SSL",
    )

"""The grants service's own settings (prefix `HOMEWARD_LEDGER_`), beside the shared ones: the key
it signs ledger checkpoints with, and how often it signs.

The private key is a file — a Kubernetes Secret mounted read-only, a Docker secret, or the dev key
`homeward run` makes under `.local/` — and never a database value or an environment variable's
content, so whoever can write the database (or read the Deployment) cannot sign. Without it the
service does not start: a grants service that cannot sign would leave the ledger provable only
against people who cannot write the database.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .core.ledger.checkpoint import (
    CheckpointPolicy,
    KeyFormatError,
    keys_by_id,
    public_key_from_pem,
    signer_from_pem,
)
from .use_cases.context import CheckpointSigning

KEYGEN_HINT = "`homeward ledger keygen FILE` makes a key pair"


class SigningKeyError(RuntimeError):
    """No usable checkpoint signing key: the service stops at start-up, saying why."""


class LedgerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOMEWARD_LEDGER_", extra="ignore", frozen=True)

    # PEM (PKCS#8, unencrypted) Ed25519 private key
    signing_key_file: Path | None = None
    # after a rotation: the public keys (PEM) of the keys it signed with before, so that its own
    # check (`GET /v1/ledger/verify`) still accepts their checkpoints; a JSON list of paths
    previous_public_key_files: list[Path] = []
    # a checkpoint once this many entries wait for one, or once the oldest waiting entry is this old
    checkpoint_every_entries: int = Field(default=100, ge=1)
    checkpoint_every_minutes: float = Field(default=10.0, gt=0)
    # how often the service looks whether a checkpoint is due
    checkpoint_check_interval_s: float = Field(default=5.0, gt=0)
    # at shutdown, the last checkpoint may take this long before the service stops without it
    checkpoint_shutdown_timeout_s: float = Field(default=5.0, gt=0)

    def policy(self) -> CheckpointPolicy:
        return CheckpointPolicy(
            every_entries=self.checkpoint_every_entries,
            every=timedelta(minutes=self.checkpoint_every_minutes),
        )


def load_signing(settings: LedgerSettings) -> CheckpointSigning:
    path = settings.signing_key_file
    if path is None:
        raise SigningKeyError(
            "HOMEWARD_LEDGER_SIGNING_KEY_FILE is not set: grants signs ledger checkpoints and does not "
            f"start without its key ({KEYGEN_HINT})"
        )
    try:
        signer = signer_from_pem(path.read_bytes())
    except OSError as error:
        raise SigningKeyError(f"cannot read the ledger signing key {path}: {error.strerror}") from None
    except KeyFormatError as error:
        raise SigningKeyError(
            f"the ledger signing key {path} is not usable: {error} ({KEYGEN_HINT})"
        ) from None
    previous = []
    for public in settings.previous_public_key_files:
        try:
            previous.append(public_key_from_pem(public.read_bytes()))
        except (OSError, KeyFormatError) as error:
            raise SigningKeyError(f"the previous ledger public key {public} is not usable: {error}") from None
    return CheckpointSigning(signer, settings.policy(), keys_by_id([signer.public_key, *previous]))

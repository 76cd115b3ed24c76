"""Signed checkpoints of the ledger: Ed25519 (pyca `cryptography`) over a small text that names the
number of entries, the last entry's hash, the RFC 9162 Merkle root of every entry hash, the time
and the key. Whoever can write the database can recompute every hash, but cannot sign: the private
key lives in a file the database never holds, and the public key is given to auditors and donors
out of band. Pure: keys come in as bytes, files are read by the caller.

The signed text (UTF-8, each line ending in a newline), checkable with any Ed25519 tool:

    homeward-ledger-checkpoint/1
    number 12
    entries 1200
    head <hex SHA-256 of entry 1200>
    root <hex RFC 9162 Merkle root of the hashes of entries 1..1200>
    signed_at 2025-03-01T12:00:00.000000Z
    key <key id>
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field

from .chain import as_text

FORMAT = "homeward-ledger-checkpoint/1"
_HEX64 = r"^[0-9a-f]{64}$"


class KeyFormatError(ValueError):
    """Not an Ed25519 key in PEM."""


class Checkpoint(BaseModel):
    """What the service signed: the ledger as it stood at `entry_count` entries."""

    model_config = ConfigDict(frozen=True)

    number: int = Field(ge=1, description="1, 2, 3 ... in signing order")
    entry_count: int = Field(ge=1, description="the entries it covers: seq 1 to entry_count")
    head_hash: str = Field(pattern=_HEX64, description="the chain hash of entry `entry_count`")
    merkle_root: str = Field(pattern=_HEX64, description="RFC 9162 root over the entry hashes")
    signed_at: datetime
    key_id: str = Field(min_length=1, max_length=64, description="which key signed (`key_id_of`)")
    signature: str = Field(min_length=1, max_length=200, description="base64 Ed25519 signature")

    def signed_text(self) -> bytes:
        return checkpoint_text(
            self.number, self.entry_count, self.head_hash, self.merkle_root, self.signed_at, self.key_id
        )

    def describe(self) -> str:
        return f"checkpoint #{self.number} ({self.entry_count} entries, signed {as_text(self.signed_at)})"


def checkpoint_text(
    number: int, entry_count: int, head_hash: str, merkle_root: str, signed_at: datetime, key_id: str
) -> bytes:
    return (
        f"{FORMAT}\nnumber {number}\nentries {entry_count}\nhead {head_hash}\nroot {merkle_root}\n"
        f"signed_at {as_text(signed_at)}\nkey {key_id}\n"
    ).encode()


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of SHA-256 over the raw public key: derived, so it cannot be
    mislabelled, and short enough to read out over the phone."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class CheckpointSigner:
    """The service's private key, its public half and key id."""

    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key)

    def sign(
        self, *, number: int, entry_count: int, head_hash: str, merkle_root: str, signed_at: datetime
    ) -> Checkpoint:
        text = checkpoint_text(number, entry_count, head_hash, merkle_root, signed_at, self.key_id)
        return Checkpoint(
            number=number,
            entry_count=entry_count,
            head_hash=head_hash,
            merkle_root=merkle_root,
            signed_at=signed_at,
            key_id=self.key_id,
            signature=base64.b64encode(self.private_key.sign(text)).decode(),
        )


def signer_from_pem(data: bytes) -> CheckpointSigner:
    """The signer from an unencrypted PKCS#8 PEM private key (what `new_key_pair` writes)."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise KeyFormatError(f"not an unencrypted PEM private key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFormatError(f"an Ed25519 key is needed, this is {type(key).__name__}")
    return CheckpointSigner(key)


def public_key_from_pem(data: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise KeyFormatError(f"not a PEM public key: {error}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFormatError(f"an Ed25519 public key is needed, this is {type(key).__name__}")
    return key


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def new_key_pair() -> tuple[bytes, bytes]:
    """(private key PEM, public key PEM) of a fresh Ed25519 key."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return private, public_key_pem(key.public_key())


def keys_by_id(public_keys: Iterable[Ed25519PublicKey]) -> dict[str, Ed25519PublicKey]:
    return {key_id_of(key): key for key in public_keys}


def signature_problem(checkpoint: Checkpoint, public_keys: Mapping[str, Ed25519PublicKey]) -> str | None:
    """None when `checkpoint` is signed by the key it names, one of `public_keys`; else why not."""
    key = public_keys.get(checkpoint.key_id)
    if key is None:
        return f"{checkpoint.describe()} names key {checkpoint.key_id}, which is not one of the given keys"
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
        key.verify(signature, checkpoint.signed_text())
    except (InvalidSignature, binascii.Error, ValueError):
        return f"{checkpoint.describe()} does not carry a valid signature of key {checkpoint.key_id}"
    return None


@dataclass(frozen=True)
class CheckpointPolicy:
    """When the service signs: once `every_entries` entries wait, or once the oldest waiting entry
    is `every` old (so none waits longer for its signature), and at shutdown; never for nothing."""

    every_entries: int
    every: timedelta

    def reason(
        self, *, waiting: int, oldest_waiting_at: datetime | None, now: datetime, shutdown: bool = False
    ) -> str | None:
        """Why to sign now ('entries', 'interval', 'shutdown'), or None."""
        if waiting <= 0:
            return None
        if waiting >= self.every_entries:
            return "entries"
        if shutdown:
            return "shutdown"
        if oldest_waiting_at is not None and now - oldest_waiting_at >= self.every:
            return "interval"
        return None

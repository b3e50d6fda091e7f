"""The audit keys, kept outside the database: the HMAC key that seals the chain and the
Ed25519 key that signs checkpoints.

Production reads both from the environment (``TANDEM_AUDIT_KEY``, ``TANDEM_AUDIT_SIGNING_KEY``)
and refuses to start without them. The demo and development make them once in the data
directory. Rotating: put the old sealing key in ``TANDEM_AUDIT_PREVIOUS_KEYS`` and a new one in
``TANDEM_AUDIT_KEY``; events sealed from then on use the new key, and verification knows both.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

KEY_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")


class AuditKeyProblem(ValueError):
    """A configured audit key cannot be used; says which and why."""


@dataclass(frozen=True)
class AuditKeys:
    sealing_id: str
    sealing_secret: bytes = field(repr=False)
    previous: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    signing: Ed25519PrivateKey | None = field(default=None, repr=False)

    @property
    def secrets(self) -> dict[str, bytes]:
        """Every sealing key this deployment knows, by id (for verification)."""
        return {**self.previous, self.sealing_id: self.sealing_secret}

    def require_signing(self) -> Ed25519PrivateKey:
        if self.signing is None:
            raise RuntimeError("no signing key for the audit trail (TANDEM_AUDIT_SIGNING_KEY)")
        return self.signing

    @property
    def signer_id(self) -> str | None:
        return signer_id(self.signing.public_key()) if self.signing else None


def signer_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "s-" + hashlib.sha256(raw).hexdigest()[:12]


def public_key_text(public: Ed25519PublicKey) -> str:
    return base64.b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def public_key_from_text(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip()))


def parse_sealing_key(text: str, *, name: str = "TANDEM_AUDIT_KEY") -> tuple[str, bytes]:
    """``id:base64`` (or just ``base64``, the id then derived from the key) -> (id, secret)."""
    text = text.strip()
    key_id, _, encoded = text.rpartition(":")
    try:
        secret = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise AuditKeyProblem(f"{name} is not base64 (optionally 'id:' before it)") from exc
    if len(secret) < 32:
        raise AuditKeyProblem(f"{name} must be at least 32 bytes of random data")
    key_id = key_id or "k-" + hashlib.sha256(secret).hexdigest()[:12]
    if not KEY_ID.match(key_id):
        raise AuditKeyProblem(f"{name}: '{key_id}' is not a usable key id (a-z, 0-9, . _ -)")
    return key_id, secret


def parse_signing_key(text: str) -> Ed25519PrivateKey:
    try:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text.strip(), validate=True))
    except ValueError as exc:
        raise AuditKeyProblem(
            "TANDEM_AUDIT_SIGNING_KEY must be a base64 Ed25519 private key (32 bytes)"
        ) from exc


def new_sealing_key() -> str:
    """A fresh sealing key as ``TANDEM_AUDIT_KEY`` takes it (``tandem audit new-keys``)."""
    secret = secrets.token_bytes(32)
    key_id = "k-" + hashlib.sha256(secret).hexdigest()[:12]
    return f"{key_id}:{base64.b64encode(secret).decode()}"


def new_signing_key() -> str:
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    raw = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    return base64.b64encode(raw).decode()


def _kept(path: Path, make: str) -> str:
    """A key kept in a file of the data directory, made on first use (demo, development)."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(make + "\n")
    return make


def load_keys(
    *,
    sealing: str,
    previous: str,
    signing: str,
    key_dir: Path,
    may_make: bool,
) -> AuditKeys:
    """The configured keys; where none is configured and ``may_make``, keys kept in
    ``key_dir`` (made the first time)."""
    if not sealing:
        if not may_make:
            raise AuditKeyProblem("Set TANDEM_AUDIT_KEY (tandem audit new-keys makes one)")
        sealing = _kept(key_dir / "sealing.key", new_sealing_key())
    if not signing:
        if not may_make:
            raise AuditKeyProblem("Set TANDEM_AUDIT_SIGNING_KEY (tandem audit new-keys makes one)")
        signing = _kept(key_dir / "signing.key", new_signing_key())
    key_id, secret = parse_sealing_key(sealing)
    older = dict(
        parse_sealing_key(item, name="TANDEM_AUDIT_PREVIOUS_KEYS")
        for item in previous.split(",")
        if item.strip()
    )
    if key_id in older and older[key_id] != secret:
        raise AuditKeyProblem(f"two different audit keys are both called '{key_id}'")
    older.pop(key_id, None)
    return AuditKeys(key_id, secret, older, parse_signing_key(signing))

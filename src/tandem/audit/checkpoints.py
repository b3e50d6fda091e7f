"""Signed checkpoints of the audit chain, appended to a place outside the database.

Like a signed tree head in Certificate Transparency (RFC 6962), a checkpoint states "the chain
had reached position N with head link H at time T", signed with the Ed25519 key. A database
administrator who deletes the last events, or rewrites the chain, cannot make the database agree
with the checkpoints again. Each checkpoint has a number; one missing from the sequence is
reported too.

The log is a directory: ``checkpoints.jsonl`` (one JSON object a line, appended and flushed to
disk) and ``signers/<id>.pub`` with the public key of every signing key used, so that old
checkpoints still verify after the key is rotated.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tandem.audit.keys import public_key_from_text, public_key_text, signer_id

LOG_NAME = "checkpoints.jsonl"


@dataclass(frozen=True)
class Checkpoint:
    number: int
    seq: int
    head: str
    at: datetime
    signer: str
    signature: str

    def statement(self) -> bytes:
        """The bytes the signature covers."""
        return _statement(self.number, self.seq, self.head, self.at, self.signer)


def _statement(number: int, seq: int, head: str, at: datetime, signer: str) -> bytes:
    body = {"n": number, "seq": seq, "head": head, "at": at.isoformat(), "signer": signer}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


class CheckpointLog:
    """The append-only checkpoint log in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @property
    def path(self) -> Path:
        return self.directory / LOG_NAME

    def read(self) -> list[Checkpoint]:
        if not self.path.exists():
            return []
        found = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            raw = json.loads(line)
            found.append(
                Checkpoint(
                    number=int(raw["n"]),
                    seq=int(raw["seq"]),
                    head=str(raw["head"]),
                    at=datetime.fromisoformat(raw["at"]),
                    signer=str(raw["signer"]),
                    signature=str(raw["signature"]),
                )
            )
        return found

    def last(self) -> Checkpoint | None:
        found = self.read()
        return found[-1] if found else None

    def append(
        self, key: Ed25519PrivateKey, *, seq: int, head: str, at: datetime
    ) -> Checkpoint | None:
        """Sign and append a checkpoint of position ``seq``, unless one at or past it is there
        already (another sealer got there first). Appends are serialised by a file lock, and the
        file is flushed to disk before this returns."""
        self.directory.mkdir(parents=True, exist_ok=True)
        signer = signer_id(key.public_key())
        self._keep_public_key(key, signer)
        with (self.directory / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            last = self.last()
            if last is not None and last.seq >= seq:
                return None
            number = last.number + 1 if last else 1
            statement = _statement(number, seq, head, at, signer)
            signature = base64.b64encode(key.sign(statement)).decode()
            line = json.loads(statement)
            line["signature"] = signature
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(line, sort_keys=True) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        return Checkpoint(number, seq, head, at, signer, signature)

    def _keep_public_key(self, key: Ed25519PrivateKey, signer: str) -> None:
        path = self.directory / "signers" / f"{signer}.pub"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(public_key_text(key.public_key()) + "\n", encoding="utf-8")

    def signature_problem(self, checkpoint: Checkpoint) -> str | None:
        """Why a checkpoint's signature does not hold, or None when it does."""
        problem = self.signed_problem(
            checkpoint.signer, checkpoint.signature, checkpoint.statement()
        )
        return f"checkpoint {checkpoint.number}: {problem}" if problem else None

    def sign(self, key: Ed25519PrivateKey, statement: bytes) -> tuple[str, str]:
        """The signer's id and the signature of ``statement``; keeps the signer's public key."""
        signer = signer_id(key.public_key())
        self._keep_public_key(key, signer)
        return signer, base64.b64encode(key.sign(statement)).decode()

    def signed_problem(self, signer: str, signature: str, statement: bytes) -> str | None:
        """Why ``signature`` by ``signer`` over ``statement`` does not hold, or None."""
        path = self.directory / "signers" / f"{signer}.pub"
        if not path.exists():
            return f"its signer {signer} is unknown"
        public = public_key_from_text(path.read_text(encoding="utf-8"))
        try:
            public.verify(base64.b64decode(signature), statement)
        except (InvalidSignature, ValueError):
            return "its signature does not verify"
        return None


def sequence_problems(checkpoints: list[Checkpoint]) -> list[str]:
    """Numbers missing from the sequence, and positions that go backwards."""
    problems: list[str] = []
    expected = 1
    last_seq = 0
    for checkpoint in checkpoints:
        if checkpoint.number != expected:
            problems.append(
                f"checkpoint {expected} is missing"
                + (f" (up to {checkpoint.number - 1})" if checkpoint.number > expected + 1 else "")
            )
        if checkpoint.seq < last_seq:
            problems.append(
                f"checkpoint {checkpoint.number} goes back to position {checkpoint.seq}"
            )
        expected = checkpoint.number + 1
        last_seq = checkpoint.seq
    return problems


def as_dict(checkpoint: Checkpoint) -> dict[str, Any]:
    return {"number": checkpoint.number, "seq": checkpoint.seq, "at": checkpoint.at.isoformat()}

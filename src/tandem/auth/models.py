"""Server-side sessions and API tokens; only hashes of the secrets are stored."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, IdMixin


class UserSession(IdMixin, Base):
    __tablename__ = "user_session"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    source_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (Index("ix_user_session_user", "user_id"),)


class ApiToken(IdMixin, Base):
    __tablename__ = "api_token"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_api_token_user", "user_id"),)


class SignInThrottle(Base):
    """Recent failed sign-ins per submitted username, whether or not such a user exists.

    The slow-down before answering a failure is read from here, never from the account, so it
    cannot tell a known username from an unknown one. The key is a digest of the normalised
    name: fixed length whatever was typed (the audit log keeps the name itself).
    """

    __tablename__ = "sign_in_throttle"

    name_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int]
    last_failure_at: Mapped[datetime]

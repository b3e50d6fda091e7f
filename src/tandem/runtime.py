"""What the application holds for its lifetime: settings, engine, sessions, clock."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from tandem.access.guard import install_scope_guard
from tandem.audit.checkpoints import CheckpointLog
from tandem.audit.keys import AuditKeys, load_keys
from tandem.audit.log import install_audit_writer
from tandem.audit.seal import Sealer
from tandem.auth.rules import LockoutPolicy, SessionPolicy
from tandem.clock import Clock
from tandem.config import Environment, Settings, zone_named
from tandem.db import create_engine, create_sessionmaker

# The guard and the audit writer sit on the ORM Session class, so every session —
# web, API, CLI and tests — gets them without anyone having to remember.
install_scope_guard(Session)
install_audit_writer(Session)


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    # One clock per organisation zone in use, made on first use: a request never parses a zone.
    _zone_clocks: dict[str, Clock] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls, settings: Settings, *, clock: Clock | None = None, system: str | None = None
    ) -> Runtime:
        """The runtime of a server, or with ``system`` (the job's reason) of an operator's
        command-line job, whose sessions the access guard trusts (tandem.access.scope)."""
        engine = create_engine(settings.resolved_database_url, echo=settings.sql_echo)
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine, system=system),
            # A clock given (a test's frozen one) keeps its own zone.
            clock=clock or Clock(zone=settings.zone),
        )

    def clock_for(self, zone_name: str | None) -> Clock:
        """The clock of an organisation with its own time zone (None: the deployment's)."""
        if not zone_name:
            return self.clock
        found = self._zone_clocks.get(zone_name)
        if found is None:
            try:
                found = self.clock.in_zone(zone_named(zone_name))
            except ValueError:
                # Names are checked when an organisation is saved; one the system's zone database
                # has since lost must not take the pages down: the deployment's zone stands in.
                logging.getLogger("tandem").warning("unknown organisation time zone %r", zone_name)
                found = self.clock
            self._zone_clocks[zone_name] = found
        return found

    @cached_property
    def audit_keys(self) -> AuditKeys:
        """The audit keys, read when first needed (the demo and development keep them in the
        data directory, made the first time)."""
        s = self.settings
        return load_keys(
            sealing=s.audit_key,
            previous=s.audit_previous_keys,
            signing=s.audit_signing_key,
            key_dir=s.audit_dir,
            may_make=s.environment != Environment.production,
        )

    def sealer(self) -> Sealer:
        """The audit sealer of this deployment (see tandem.audit.seal)."""
        s = self.settings
        return Sealer(
            self.sessionmaker,
            self.audit_keys,
            CheckpointLog(s.checkpoint_dir),
            self.clock,
            checkpoint_events=s.audit_checkpoint_events,
            checkpoint_minutes=s.audit_checkpoint_minutes,
        )

    @property
    def lockout(self) -> LockoutPolicy:
        s = self.settings
        return LockoutPolicy(s.login_slowdown_after, s.login_lockout_after, s.login_lockout_minutes)

    @property
    def session_policy(self) -> SessionPolicy:
        return SessionPolicy(self.settings.session_idle_minutes, self.settings.session_max_hours)

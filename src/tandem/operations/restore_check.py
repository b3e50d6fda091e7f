"""`tandem restore --check`: is a restored database one this Tandem can run, and does its audit
chain verify (`tandem audit verify`'s check, against the configured keys and checkpoints)?"""

from __future__ import annotations

from dataclasses import dataclass

from tandem.audit.checkpoints import CheckpointLog
from tandem.audit.keys import AuditKeys, load_keys
from tandem.audit.verify import Report, verify
from tandem.command_line import Refusal
from tandem.config import Settings
from tandem.operations.status import Status, read_status
from tandem.runtime import Runtime


@dataclass
class Checked:
    status: Status
    report: Report

    @property
    def tampered(self) -> list[str]:
        """What is wrong beyond a tail the checkpoints know of (events after the backup)."""
        return [p for p in self.report.problems if p != self.report.tail_problem]

    @property
    def intact(self) -> bool:
        return self.report.broken is None and not self.tampered


def verifying_keys(settings: Settings) -> AuditKeys:
    """The configured audit keys, or those restored into the data directory; never new ones,
    which would verify nothing."""
    kept = settings.audit_dir
    if not (settings.audit_key or (kept / "sealing.key").exists()) or not (
        settings.audit_signing_key or (kept / "signing.key").exists()
    ):
        raise Refusal(
            f"No audit keys to verify the chain with (TANDEM_AUDIT_KEY, or {kept}).",
            "Set the deployment's TANDEM_AUDIT_KEY and TANDEM_AUDIT_SIGNING_KEY, or restore "
            "the backup's audit folder.",
        )
    return load_keys(
        sealing=settings.audit_key,
        previous=settings.audit_previous_keys,
        signing=settings.audit_signing_key,
        key_dir=kept,
        may_make=True,
    )


async def check_restored(rt: Runtime) -> Checked:
    """The schema's revision and the audit chain's verification; refuses an old schema."""
    found = await read_status(rt)
    if not found.migrated:
        state = "has no Tandem schema" if found.revision is None else f"is at {found.revision}"
        raise Refusal(
            f"The restored database {state}; this Tandem needs revision {found.latest}.",
            "Run `tandem db upgrade`, then `tandem restore --check` again.",
        )
    keys = verifying_keys(rt.settings)
    async with rt.sessionmaker() as session:
        report = await verify(session, keys.secrets, CheckpointLog(rt.settings.checkpoint_dir))
    return Checked(found, report)

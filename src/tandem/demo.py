"""``tandem demo``: a fixed demo network with synthetic patients on the configured database."""

from __future__ import annotations

import asyncio
import os
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from rich.console import Console
from rich.table import Table

from tandem.access.context import AccessContext
from tandem.auth.passwords import hash_password
from tandem.command_line import Refusal, load_settings
from tandem.errors import DomainError
from tandem.migrate import upgrade
from tandem.people.vocab import LABELS
from tandem.runtime import Runtime
from tandem.synth.command import progress_bar, refuse_production
from tandem.synth.courses import HistoryRates
from tandem.synth.loader import LoadSummary, load, username_taken
from tandem.synth.network import organization_row, user_row
from tandem.synth.pool import (
    CareManager,
    CarePool,
    Clinic,
    Network,
    Partner,
    Row,
    Staff,
    names_of,
)
from tandem.synth.population import PopulationSpec
from tandem.synth.teams import Rates
from tandem.vocab import OrganizationKind, ProfessionalRole

DEMO_PASSWORD = "tandem-demo-2026"
# The demo's clinics are in Washington state: its "today" and its times are Pacific ones.
DEMO_TIMEZONE = "America/Los_Angeles"
MARKER_USERNAME = "cm.alex"
# Demo patients take MRN blocks 9000 and up, which `tandem synth` seeds never use.
DEMO_BLOCK = 9000
DEMO_RATES = Rates(
    consultant=0.40,
    therapist=0.35,
    social_worker=0.30,
    peer_specialist=0.15,
    community_partner=0.12,
)
# More open safety alerts than a real caseload has, so every demo care manager meets one.
DEMO_HISTORY = HistoryRates(open_alert_not_improving=0.25, open_alert_new=0.6)

ORGANIZATIONS = (
    ("riverside", "Riverside Family Health", OrganizationKind.primary_care),
    ("northgate", "Northgate Community Clinic", OrganizationKind.primary_care),
    ("harbour", "Harbour Behavioural Health", OrganizationKind.behavioural_health),
    ("haven", "Safe Haven Housing", OrganizationKind.community_partner),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: ProfessionalRole
    organization: str | None


R = ProfessionalRole
USERS = (
    DemoUser("cm.alex", "Alex Rivera", R.care_manager, "riverside"),
    DemoUser("cm.sam", "Sam Okafor", R.care_manager, "northgate"),
    DemoUser("cm.jordan", "Jordan Lee", R.care_manager, "harbour"),
    DemoUser("pcp.priya", "Dr Priya Shah", R.primary_care_provider, "riverside"),
    DemoUser("pcp.marcus", "Dr Marcus Bell", R.primary_care_provider, "northgate"),
    DemoUser("psy.elena", "Dr Elena Novak", R.psychiatric_consultant, "harbour"),
    DemoUser("ther.omar", "Omar Haddad", R.therapist, "harbour"),
    DemoUser("sw.grace", "Grace Kim", R.social_worker, "harbour"),
    DemoUser("peer.luis", "Luis Ortega", R.peer_specialist, "harbour"),
    DemoUser("partner.dana", "Dana Brooks", R.community_partner, "haven"),
    DemoUser("admin", "Taylor Quinn", R.administrator, None),
    DemoUser("privacy.ruth", "Ruth Adams", R.privacy_officer, None),
)


def demo_network(password_hash: str, as_of: date) -> Network:
    """The fixed demo organisations and staff, and the care pool the demo patients draw on."""
    created = datetime.combine(as_of - timedelta(days=3 * 365), time(16), tzinfo=UTC)
    rng = random.Random("tandem-demo-network")
    orgs: dict[str, Row] = {
        key: organization_row(rng, name=name, kind=kind.value, created_at=created)
        for key, name, kind in ORGANIZATIONS
    }
    users: dict[str, Row] = {}
    staff: dict[str, Staff] = {}
    for u in USERS:
        org_id = orgs[u.organization]["id"] if u.organization else None
        users[u.username] = user_row(
            rng,
            username=u.username,
            full_name=u.full_name,
            role=u.role.value,
            organization_id=org_id,
            password_hash=password_hash,
            created_at=created,
        )
        staff[u.username] = Staff(users[u.username]["id"], org_id)
    riverside = Clinic(
        orgs["riverside"]["id"], "Riverside Family Health", "RFH", (staff["pcp.priya"],)
    )
    northgate = Clinic(
        orgs["northgate"]["id"], "Northgate Community Clinic", "NCC", (staff["pcp.marcus"],)
    )
    elena = staff["psy.elena"]
    pool = CarePool(
        care_managers=(
            CareManager(staff["cm.alex"], (riverside,), elena),
            CareManager(staff["cm.sam"], (northgate,), elena),
            # Harbour's care manager leads patients of both clinics.
            CareManager(staff["cm.jordan"], (riverside, northgate), elena),
        ),
        consultants=(elena,),
        therapists=(staff["ther.omar"],),
        social_workers=(staff["sw.grace"],),
        peer_specialists=(staff["peer.luis"],),
        partners=(Partner(staff["partner.dana"], "housing"),),
        names=names_of(orgs.values(), users.values()),
    )
    return Network(list(orgs.values()), list(users.values()), pool, MARKER_USERNAME)


async def _load(rt: Runtime, patients: int, seed: int, console: Console) -> LoadSummary | None:
    async with rt.sessionmaker() as session:
        if await username_taken(session, MARKER_USERNAME):
            return None
    today = rt.clock.today()
    network = demo_network(hash_password(DEMO_PASSWORD), today)
    spec = PopulationSpec(
        namespace="demo",
        seed=seed,
        block=DEMO_BLOCK + seed % 1000,
        count=patients,
        as_of=today,
        rates=DEMO_RATES,
        history=DEMO_HISTORY,
    )
    with progress_bar(console) as progress:
        task = progress.add_task("Demo patients", total=patients)
        return await load(
            rt.sessionmaker,
            AccessContext.system(rt.clock, reason="demo"),
            network,
            spec,
            batch_size=500,
            on_progress=lambda n: progress.advance(task, n),
        )


def sign_ins() -> Table:
    """The demo accounts, for the person trying Tandem out."""
    names = {key: name for key, name, _ in ORGANIZATIONS}
    table = Table("Username", "Name", "Role", "Organisation", title="Demo sign-ins")
    for u in USERS:
        org = names[u.organization] if u.organization else ""
        table.add_row(u.username, u.full_name, LABELS.get(u.role.value, u.role.value), org)
    table.caption = f"Password for every account: {DEMO_PASSWORD}"
    return table


def use_demo_timezone() -> None:
    """The demo's clinics keep Pacific time unless TANDEM_TIMEZONE says otherwise (the server
    started after the demo reads the same environment)."""
    if not os.environ.get("TANDEM_TIMEZONE", "").strip():
        os.environ["TANDEM_TIMEZONE"] = DEMO_TIMEZONE


def prepare_demo(*, patients: int, seed: int, console: Console) -> None:
    """Migrate the configured database and load the demo network once; print the sign-ins."""
    if os.environ.get("TANDEM_ENVIRONMENT", "").strip().lower() == "production":
        raise Refusal("tandem demo refuses to run when TANDEM_ENVIRONMENT=production.")
    use_demo_timezone()
    settings = load_settings()
    refuse_production(settings, "tandem demo")
    if not 1 <= patients <= 100_000:
        raise DomainError("--patients must be between 1 and 100,000.", field="patients")
    if not 0 <= seed <= 999:
        raise DomainError("--seed must be between 0 and 999.", field="seed")
    upgrade(settings.resolved_database_url)
    rt = Runtime.build(settings, system="tandem demo")

    async def main() -> LoadSummary | None:
        try:
            return await _load(rt, patients, seed, console)
        finally:
            await rt.engine.dispose()

    summary = asyncio.run(main())
    if summary is None:
        console.print(f"Demo data already loaded ({MARKER_USERNAME} exists): nothing to add.")
    else:
        console.print(
            f"Loaded the demo network: {summary.rows['patient']:,} patients, "
            f"{summary.rows['app_user']} staff, {summary.rows['organization']} organisations "
            f"in {summary.seconds:.1f} s."
        )
    console.print(f"Database: {settings.resolved_database_url}")
    console.print(sign_ins())

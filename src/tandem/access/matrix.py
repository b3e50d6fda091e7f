"""The permission table as people read it: a role-by-capability matrix in Markdown.

`tandem permissions` prints it; the README carries it, and a test keeps the two the same.
"""

from __future__ import annotations

from tandem.access.capabilities import PermissionTable, Rule
from tandem.vocab import ProfessionalRole, label

ROLE_HEADINGS = {
    ProfessionalRole.care_manager: "Care manager",
    ProfessionalRole.primary_care_provider: "PCP",
    ProfessionalRole.psychiatric_consultant: "Psychiatrist",
    ProfessionalRole.therapist: "Therapist",
    ProfessionalRole.social_worker: "Social worker",
    ProfessionalRole.peer_specialist: "Peer",
    ProfessionalRole.community_partner: "Partner",
    ProfessionalRole.administrator: "Admin",
    ProfessionalRole.privacy_officer: "Privacy officer",
}


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _mark(rule: Rule, role: ProfessionalRole, *, lead_only: bool = False) -> str:
    if role not in rule.roles:
        return "—"
    return "lead" if lead_only else "✓"


def patient_matrix(table: PermissionTable) -> str:
    """What each role may do for a patient on whose care team they are, and with emergency
    access ("break the glass")."""
    roles = list(ROLE_HEADINGS)
    lines = [
        _row(["On a patient of my care team", *ROLE_HEADINGS.values(), "Emergency access"]),
        _row(["---"] * (len(roles) + 2)),
    ]
    for rule in table.patient:
        cells = [_mark(rule, role, lead_only=rule.lead_only) for role in roles]
        lines.append(_row([rule.label, *cells, "✓" if rule.break_glass else "—"]))
    return "\n".join(lines)


def staff_matrix(table: PermissionTable) -> str:
    """Work that names no single patient: registering, reviews, administration."""
    roles = list(ROLE_HEADINGS)
    lines = [
        _row(["Staff-wide", *ROLE_HEADINGS.values()]),
        _row(["---"] * (len(roles) + 1)),
    ]
    for rule in table.staff:
        lines.append(_row([rule.label, *(_mark(rule, role) for role in roles)]))
    return "\n".join(lines)


def markdown(table: PermissionTable) -> str:
    """Both matrices, with the key, as the README shows them."""
    return "\n\n".join(
        [
            patient_matrix(table),
            staff_matrix(table),
            "✓ granted · lead: only the patient's lead care manager · — not granted. "
            "Emergency access is granted only to roles that may break the glass "
            f"({', '.join(label(r.value).lower() for r in _breakers(table))}); "
            "it reads, and changes nothing.",
        ]
    )


def _breakers(table: PermissionTable) -> list[ProfessionalRole]:
    rule = next(r for r in table.staff if r.capability == "break_the_glass")
    return list(rule.roles)

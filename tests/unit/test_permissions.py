"""The permission table (access/permissions.json): who may do what, checked as policy.

The expectations are the clinical decisions written out by hand, not read back from the file,
so a change to the table that breaks one of them fails here and has to be argued for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tandem.access.capabilities import (
    PERMISSIONS_FILE,
    STAFF_CAPABILITIES,
    WRITE_CAPABILITIES,
    AccessBasis,
    PermissionFileError,
    load_permissions,
    permissions,
)
from tandem.capabilities import Capability
from tandem.vocab import ProfessionalRole

C = Capability
LICENSED = [
    "care_manager",
    "primary_care_provider",
    "psychiatric_consultant",
    "therapist",
    "social_worker",
]
CLINICAL = [*LICENSED, "peer_specialist"]
EVERY_ROLE = [r.value for r in ProfessionalRole]


def on_team(role: str, *, lead: bool = False) -> frozenset[Capability]:
    return permissions().patient_grants(role, basis=AccessBasis.care_team, is_lead=lead)


def in_emergency(role: str) -> frozenset[Capability]:
    return permissions().patient_grants(role, basis=AccessBasis.break_glass, is_lead=False)


def test_the_shipped_table_loads_and_names_every_capability_once() -> None:
    table = load_permissions()
    named = [r.capability for r in (*table.patient, *table.staff)]
    assert sorted(named) == sorted(Capability)
    assert all(rule.reason and rule.label for rule in (*table.patient, *table.staff))


def test_a_community_partner_on_the_team_sees_who_the_patient_is_and_what_it_owes() -> None:
    # Its own activities (My responsibilities), never the goals or the rest of the plan.
    assert on_team("community_partner") == {C.read_contact, C.read_own_activities}


def test_a_community_partner_writes_nothing_and_never_breaks_the_glass() -> None:
    assert not on_team("community_partner") & WRITE_CAPABILITIES
    assert C.break_the_glass not in permissions().staff_grants("community_partner")
    assert in_emergency("community_partner") == frozenset()


@pytest.mark.parametrize("role", ["administrator", "privacy_officer"])
def test_administrators_and_privacy_officers_have_nothing_on_a_patient(role: str) -> None:
    assert on_team(role, lead=True) == frozenset()
    assert in_emergency(role) == frozenset()


def test_a_peer_specialist_reads_the_plan_level_record_and_records_check_ins() -> None:
    peer = on_team("peer_specialist")
    assert {C.read_chart, C.read_measurements, C.read_needs, C.read_safety} <= peer
    assert {C.record_measurements, C.manage_needs} <= peer


def test_a_peer_specialist_does_not_close_alerts_read_narratives_or_identifiers() -> None:
    peer = on_team("peer_specialist")
    assert not {C.close_safety_alert, C.read_assessments, C.read_identifiers} & peer
    assert not {C.manage_care_team, C.manage_enrolments} & peer


@pytest.mark.parametrize("role", LICENSED)
def test_closing_a_safety_alert_needs_a_licensed_role_on_the_team(role: str) -> None:
    assert C.close_safety_alert in on_team(role)


@pytest.mark.parametrize("role", [r for r in EVERY_ROLE if r not in LICENSED])
def test_no_other_role_closes_a_safety_alert(role: str) -> None:
    assert C.close_safety_alert not in on_team(role, lead=True)


@pytest.mark.parametrize("role", LICENSED)
def test_emergency_access_reads_and_writes_nothing(role: str) -> None:
    emergency = in_emergency(role)
    assert {C.read_contact, C.read_chart, C.read_safety, C.read_family} <= emergency
    assert not emergency & WRITE_CAPABILITIES
    assert C.read_access_log not in emergency


def test_only_licensed_roles_may_break_the_glass() -> None:
    may = {r for r in EVERY_ROLE if C.break_the_glass in permissions().staff_grants(r)}
    assert may == set(LICENSED)


def test_a_peer_specialist_cannot_use_emergency_access() -> None:
    assert in_emergency("peer_specialist") == frozenset()


def test_only_the_lead_care_manager_reads_the_access_log_or_hides_a_registration() -> None:
    for capability in (C.read_access_log, C.mark_registration_in_error):
        assert capability in on_team("care_manager", lead=True)
        assert capability not in on_team("care_manager", lead=False)
        for role in EVERY_ROLE:
            if role != "care_manager":
                assert capability not in on_team(role, lead=True)


@pytest.mark.parametrize("role", CLINICAL)
def test_every_clinical_role_on_the_team_reads_measurements_and_safety(role: str) -> None:
    assert {C.read_measurements, C.read_safety, C.read_chart} <= on_team(role)


def test_staff_capabilities_belong_to_their_roles() -> None:
    grants = permissions().staff_grants
    assert grants("administrator") == {
        C.administer_users,
        C.administer_organizations,
        C.review_emergency_access,
        C.review_duplicates,
    }
    assert grants("privacy_officer") == {
        C.read_any_access_log,
        C.review_emergency_access,
        C.review_duplicates,
        C.review_duplicate_details,
    }
    assert {r for r in EVERY_ROLE if C.register_patient in grants(r)} == set(LICENSED)


def test_every_staff_capability_is_listed_among_the_staff_ones() -> None:
    assert {r.capability for r in permissions().staff} == STAFF_CAPABILITIES


# -- a broken file stops start-up with the file's name and the reason ----------------------


def _write(tmp_path: Path, change: Any) -> Path:
    raw = json.loads(PERMISSIONS_FILE.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "permissions.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def _rule(raw: dict[str, Any], capability: str) -> dict[str, Any]:
    rule: dict[str, Any] = next(
        r for r in raw["patient"] + raw["staff"] if r["capability"] == capability
    )
    return rule


def test_a_file_that_forgets_a_capability_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda raw: raw["patient"].pop())
    with pytest.raises(PermissionFileError, match=r"(?s)permissions\.json.*missing"):
        load_permissions(path)


def test_a_file_that_names_an_unknown_role_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda raw: _rule(raw, "read_chart")["roles"].append("janitor"))
    with pytest.raises(PermissionFileError, match=r"permissions\.json"):
        load_permissions(path)


def test_a_write_for_emergency_access_without_a_reason_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda raw: _rule(raw, "close_safety_alert").update(break_glass=True))
    with pytest.raises(PermissionFileError, match="emergency access is for reading"):
        load_permissions(path)


def test_a_role_granted_something_but_not_who_the_patient_is_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda raw: _rule(raw, "read_chart")["roles"].append("privacy_officer"))
    with pytest.raises(PermissionFileError, match="read_contact"):
        load_permissions(path)


def test_a_capability_listed_twice_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda raw: raw["patient"].append(dict(raw["patient"][0])))
    with pytest.raises(PermissionFileError, match="twice"):
        load_permissions(path)


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "permissions.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(PermissionFileError, match=r"permissions\.json"):
        load_permissions(path)

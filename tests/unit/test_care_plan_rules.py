"""The care plan's pure rules: the version a change names, one responsible party, and what
changed between two versions."""

from __future__ import annotations

import uuid

import pytest

from tandem.careplans.rules import based_on, check_responsible, diff, etag
from tandem.careplans.schemas import Responsible
from tandem.errors import PreconditionRequired, ValidationProblem

USER = uuid.UUID("00000000-0000-0000-0000-000000000001")
ORG = uuid.UUID("00000000-0000-0000-0000-000000000002")


@pytest.mark.parametrize(
    ("header", "version"), [('"3"', 3), ("3", 3), ('W/"12"', 12), (' "1" ', 1)]
)
def test_if_match_names_the_version_a_change_is_based_on(header: str, version: int) -> None:
    assert based_on(header) == version


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_change_without_if_match_is_refused_428(header: str | None) -> None:
    with pytest.raises(PreconditionRequired) as refused:
        based_on(header)
    assert (refused.value.status, refused.value.field) == (428, "If-Match")


@pytest.mark.parametrize("header", ['"three"', '"1", "2"', "*", '"-1"', '"1234567890"'])
def test_an_if_match_naming_no_single_version_is_refused_422(header: str) -> None:
    with pytest.raises(ValidationProblem) as refused:
        based_on(header)
    assert refused.value.field == "If-Match"


def test_the_etag_is_the_version_quoted() -> None:
    assert etag(7) == '"7"'


def test_each_kind_of_party_takes_its_own_id_and_no_other() -> None:
    assert check_responsible(Responsible(kind="team_member", user_id=USER)) == "user_id"
    assert check_responsible(Responsible(kind="organisation", organization_id=ORG)) == (
        "organization_id"
    )
    assert check_responsible(Responsible(kind="patient")) is None


@pytest.mark.parametrize(
    ("responsible", "field"),
    [
        (Responsible(kind="team_member"), "responsible.user_id"),
        (Responsible(kind="related_person"), "responsible.related_person_id"),
        (Responsible(kind="patient", user_id=USER), "responsible.user_id"),
        (
            Responsible(kind="team_member", user_id=USER, organization_id=ORG),
            "responsible.organization_id",
        ),
    ],
)
def test_a_party_missing_its_id_or_with_two_is_refused_naming_the_field(
    responsible: Responsible, field: str
) -> None:
    with pytest.raises(ValidationProblem) as refused:
        check_responsible(responsible)
    assert refused.value.field == field


def _activity(activity_id: str, status: str) -> dict[str, object]:
    return {"id": activity_id, "title": "Call", "status": status}


def test_the_diff_names_goals_and_activities_added_removed_and_changed_field_by_field() -> None:
    before = {
        "plan": {"id": "p", "status": "active", "next_review_on": None},
        "goals": [
            {
                "id": "g1",
                "description": "Sleep",
                "status": "active",
                "activities": [_activity("a1", "not-started"), _activity("a2", "scheduled")],
            },
            {"id": "g2", "description": "Work", "status": "proposed", "activities": []},
        ],
    }
    after = {
        "plan": {"id": "p", "status": "active", "next_review_on": "2027-01-15"},
        "goals": [
            {
                "id": "g1",
                "description": "Sleep well",
                "status": "active",
                "activities": [_activity("a1", "completed"), _activity("a3", "not-started")],
            },
            {"id": "g3", "description": "Walk", "status": "active", "activities": []},
        ],
    }
    found = diff(2, before, 5, after).model_dump()
    assert found["plan"] == {"next_review_on": {"before": None, "after": "2027-01-15"}}
    assert [g["id"] for g in found["goals"]["added"]] == ["g3"]
    assert [g["id"] for g in found["goals"]["removed"]] == ["g2"]
    assert found["goals"]["changed"] == [
        {
            "id": "g1",
            "name": "Sleep well",
            "fields": {"description": {"before": "Sleep", "after": "Sleep well"}},
        }
    ]
    assert [a["id"] for a in found["activities"]["added"]] == ["a3"]
    assert [a["id"] for a in found["activities"]["removed"]] == ["a2"]
    assert found["activities"]["changed"] == [
        {
            "id": "a1",
            "name": "Call",
            "fields": {"status": {"before": "not-started", "after": "completed"}},
        }
    ]
    assert "activities" not in found["goals"]["added"][0]


def test_a_version_compared_with_itself_shows_nothing_changed() -> None:
    snapshot = {"plan": {"id": "p"}, "goals": [{"id": "g1", "activities": []}]}
    found = diff(3, snapshot, 3, snapshot).model_dump()
    assert found["plan"] == {} and found["goals"]["changed"] == []
    assert found["activities"] == {"added": [], "removed": [], "changed": []}

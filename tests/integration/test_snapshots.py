"""The patient-record snapshot that "nothing changed" tests rely on sees a change anywhere."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from tests.factories import Factory, PatientWithTeam
from tests.snapshots import differences

from tandem.people.models import Patient, User


async def test_the_snapshot_holds_every_patient_table_and_the_patients_own_rows(
    factory: Factory, chart: PatientWithTeam
) -> None:
    record = await factory.patient_record(chart.patient)
    assert set(record) == {
        "assessment_response",
        "assessment_revision",
        "break_glass_grant",
        "care_activity",
        "care_plan",
        "care_plan_agreement",
        "care_plan_version",
        "care_team_member",
        "comprehensive_assessment",
        "enrolment",
        "goal",
        "goal_need",
        "need",
        "need_event",
        "notification",
        "observation",
        "patient",
        "patient_identifier",
        "potential_duplicate",
        "related_person",
        "safety_alert",
    }
    assert [dict(row)["id"] for row in record["patient"]] == [chart.patient.id]
    assert [dict(row)["id"] for row in record["care_team_member"]] == [chart.lead_membership.id]
    assert "audit_event" in await factory.patient_record(chart.patient, trail=True)


async def test_the_snapshot_sees_a_new_row_and_a_changed_column_and_not_another_patient(
    factory: Factory, chart: PatientWithTeam, care_manager: User
) -> None:
    other = await factory.patient(lead=care_manager)
    before = await factory.patient_record(chart.patient)
    await factory.related_person(chart.patient)
    after_new_row = await factory.patient_record(chart.patient)
    assert differences(before, after_new_row) == ["related_person: 1 row(s) new or changed, 0 gone"]

    async with factory.system_session() as session:
        await session.execute(
            update(Patient).where(Patient.id == chart.patient.id).values(preferred_name="Pepe")
        )
        await session.commit()
    changed = await factory.patient_record(chart.patient)
    assert differences(after_new_row, changed) == ["patient: 1 row(s) new or changed, 1 gone"]

    await factory.related_person(other.patient)
    assert await factory.patient_record(chart.patient) == changed


async def test_the_account_snapshot_sees_a_new_session_and_a_changed_column_of_that_user(
    factory: Factory, care_manager: User, browser_for: Any
) -> None:
    other = await factory.user(role="therapist")
    before = await factory.account_record(care_manager)
    assert set(before) == {"app_user", "user_session", "api_token"}
    assert [dict(row)["id"] for row in before["app_user"]] == [care_manager.id]
    await browser_for(care_manager)
    signed_in = await factory.account_record(care_manager)
    assert differences(before, signed_in) == ["user_session: 1 row(s) new or changed, 0 gone"]
    async with factory.system_session() as session:
        await session.execute(
            update(User).where(User.id == care_manager.id).values(failed_logins=3)
        )
        await session.execute(update(User).where(User.id == other.id).values(failed_logins=3))
        await session.commit()
    changed = await factory.account_record(care_manager)
    assert differences(signed_in, changed) == ["app_user: 1 row(s) new or changed, 1 gone"]

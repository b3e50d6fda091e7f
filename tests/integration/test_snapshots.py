"""The patient-record snapshot that "nothing changed" tests rely on sees a change anywhere."""

from __future__ import annotations

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
        "care_team_member",
        "comprehensive_assessment",
        "enrolment",
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

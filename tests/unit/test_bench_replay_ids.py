"""The benchmark's raw-SQL replay gives the rows a request inserted fresh ids, everywhere the
request used them, and leaves every other value alone."""

from __future__ import annotations

import json
import uuid

from bench.capture import COMMIT, EXECUTE, EXECUTEMANY, Recording, Step
from bench.replay import Remap, fresh

INSERTED = uuid.UUID("01a236c2-675b-78fd-ae43-735af0392562")
PATIENT = uuid.UUID("9b65017c-80a8-4bd4-920a-db2ab8dd6649")
NEW = uuid.UUID("01a236c2-0000-7000-8000-000000000001")


def test_a_remapped_id_changes_in_every_form_it_takes() -> None:
    remap = Remap({INSERTED: NEW})
    detail = json.dumps({"read": [["QuestionnaireResponse", str(INSERTED)]]})
    given = (
        INSERTED,
        "01a236c2675b78fdae43735af0392562",
        "01a236c2-675b-78fd-ae43-735af0392562",
        detail,
        {"response": INSERTED, "items": [INSERTED, 3]},
    )
    assert remap(given) == (
        NEW,
        "01a236c2000070008000000000000001",
        "01a236c2-0000-7000-8000-000000000001",
        json.dumps({"read": [["QuestionnaireResponse", "01a236c2-0000-7000-8000-000000000001"]]}),
        {"response": NEW, "items": [NEW, 3]},
    )


def test_values_that_are_not_an_inserted_id_stay_as_they_were() -> None:
    remap = Remap({INSERTED: NEW})
    given = (PATIENT, str(PATIENT), PATIENT.hex, "phq-9", 7, None, b"\x00", 2.5)
    assert remap(given) == given


def recording() -> Recording:
    return Recording(
        dialect="postgresql",
        steps=[
            Step(EXECUTE, 0, "SELECT 1 FROM patient WHERE id = $1", (PATIENT,)),
            Step(EXECUTE, 0, "INSERT INTO r (id, patient_id) VALUES ($1, $2)", (INSERTED, PATIENT)),
            Step(EXECUTEMANY, 0, "INSERT INTO a (record_id) VALUES ($1)", [(str(INSERTED),)]),
            Step(COMMIT, 0),
        ],
        inserted_ids={INSERTED},
    )


def test_each_replay_gets_its_own_fresh_ids_used_consistently_within_it() -> None:
    first, second = fresh(recording()), fresh(recording())
    new_first = first[1].parameters[0]
    new_second = second[1].parameters[0]
    assert len({INSERTED, new_first, new_second}) == 3
    assert new_first.version == 7  # time-ordered, as tandem.ids.new_id makes them
    assert first[2].parameters == [(str(new_first),)]
    assert first[0] == recording().steps[0]  # the patient read as it was
    assert first[1].parameters[1] == PATIENT
    assert first[3] == Step(COMMIT, 0)


def test_the_recording_counts_only_the_requests_own_statements() -> None:
    steps = [Step(EXECUTE, 0, "BEGIN IMMEDIATE"), *recording().steps]
    assert Recording(steps=steps).statements == 3

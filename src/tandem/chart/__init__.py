"""The frame every page of a patient's chart shares: the audited header, the safety banner and
what this user may open. A read model over people, care teams and assessments."""

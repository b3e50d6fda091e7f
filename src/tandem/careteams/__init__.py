"""Care teams, their members, and programme enrolments (episodes of care)."""

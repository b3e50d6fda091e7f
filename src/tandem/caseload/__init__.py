"""The caseload: the patients whose care team I am on, with my role, their programme and whether a
safety alert is open. A read model: its one query joins the tables of people, care teams and
assessments, which no domain below it may do."""

"""Assessment: instruments as data, scoring, responses, observations, safety alerts, needs."""

"""The shared care plan: a patient's goals and the activities that serve them, versioned."""

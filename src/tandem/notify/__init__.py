"""Notifications: in the app now; e-mail delivery comes with the outbox worker."""

"""Signing in: passwords, server-side sessions, API tokens, CSRF."""

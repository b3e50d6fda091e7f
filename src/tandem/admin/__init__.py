"""Administration: organisations, user accounts, the break-the-glass review list."""

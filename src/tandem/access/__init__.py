"""Who may see what: the AccessContext, care relationships and break-the-glass."""

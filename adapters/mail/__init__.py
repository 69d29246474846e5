"""Outgoing mail: the reminders (预警) to an SMTP relay."""

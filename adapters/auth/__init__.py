"""Passwords and the login log."""

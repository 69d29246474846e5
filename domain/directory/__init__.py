"""The directory: units, users, heads of units and the login log."""

"""Unit accountability (问责): the record of each unit, and the process that keeps it."""

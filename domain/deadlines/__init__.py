"""Deadlines: the working-day calendar, periods, deadline clocks and their pauses."""

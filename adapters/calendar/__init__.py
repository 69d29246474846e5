"""The official working-day calendar, from chinese_calendar and local overrides."""

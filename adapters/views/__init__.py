"""The read models' views on SQLite and PostgreSQL, one module per read model."""

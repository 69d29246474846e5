"""The event store's database: settings, the PostgreSQL pool, append-only triggers, fast reads, side tables."""

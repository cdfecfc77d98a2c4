"""The gateway's database.

- engine.py:   the engine (SQLite or PostgreSQL), sessions, the Alembic upgrade;
- models/:     the tables (SQLAlchemy 2), by domain;
- migrations/: the Alembic migrations that follow the models.
"""

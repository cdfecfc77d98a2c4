"""Bagou: the gateway package (FastAPI app, settings, database, Rasa client, CLI)."""

"""Bagou's custom actions, served by rasa-sdk (`python -m rasa_sdk --actions actions`)."""

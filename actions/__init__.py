"""Bagou's custom actions, one module per topic, served by rasa-sdk.

Start the action server with `python -m actions.server --port 5055` (server.py installs
the log filter, then runs rasa-sdk). The actions read their own settings (config.py)
and the libraries they need (bot.obf, bot.chat.topics, falc.glossary): importing them
loads neither FastAPI nor SQLAlchemy, and changes nothing in the process.
"""

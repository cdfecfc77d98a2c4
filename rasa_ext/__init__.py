"""Code that runs inside the Rasa engine (Python 3.10, Rasa's own environment)."""

"""One chat turn, from the person's message to the stored replies.

- service.py:     ChatService: the session, a badge check or Rasa, the stored turn;
- identity.py:    who is talking (anonymous, a learner signed by the host site);
- topics.py:      the topic ids (topics.yml), the topic of a turn, the conversation's context;
- rasa_client.py: Rasa's REST channel, round robin, resent only when never delivered;
- course.py, course_content.py, course_store.py, point_info.py: the course held in the
  chat (its buttons' contract, its content in formation/), its progress and the Point
  Info badge at its end.

Nothing here imports FastAPI routes: the routes (bot/app.py, bot/api/) call the service.
The action server imports topics.py, course.py and course_content.py, so this package's
__init__ imports nothing.
"""

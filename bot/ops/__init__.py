"""Running and keeping Bagou: nothing here is imported by the running gateway.

- cli.py:        the `bagou` command;
- supervisor.py: `bagou run`: Rasa, the action server and the gateway on one machine;
- training.py:   the Rasa model (`bagou train`) and Rasa's environment;
- evaluation.py: `bagou eval`, the held-out conversations against a running stack;
- content.py:    `bagou content`: the links and the sources of the content.
"""

"""Topic `qui_a_vu_mes_badges`: « qui a regardé mes badges ? », answered by the gateway.

Rasa still decides that a message asks this (the intent, the rule and its response
`utter_qui_a_vu_mes_badges`, which names the topic); the gateway then puts in that
reply's place the look-ups of the learner's badges from the console's audit table
(bot/console/audit.py `viewings`).

Why the gateway and not a custom action: the gateway owns the identity and the
audit database (README, « Identity: who may see which badges »). An action would need
either the database itself (the action server must not import the gateway's SQLAlchemy
code, tests/test_actions_imports.py) or a new internal HTTP endpoint of the gateway with
its own token, that would answer a learner's look-ups to whoever holds that token.
Filling the reply here keeps the personal data in the process that already holds it,
with no new way in, exactly as the gateway already answers « mon badge Point Info »
(bot/chat/service.py).

Who gets what: a learner identified by the site or by Moodle, with an address, gets
the dates and the structure of each look-up (never the adviser's login, name or
e-mail); anybody else gets an explanation of how to sign in or whom to ask.
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from bot.chat.identity import Identity
from bot.schemas import Button, Reply
from bot.texts import french_date, text

TOPIC = "qui_a_vu_mes_badges"
# The newest look-ups shown in the chat; the trail keeps them for audit_retention_days.
MAX_SHOWN = 10
# Its buttons: a FAQ question and a person to talk to (payloads read by Rasa as text).
BUTTONS = ("vus_bouton_qui_peut", "vus_bouton_personne")



class Seen(Protocol):
    """What the chat needs of one look-up (bot.console.audit.Viewing has these)."""

    @property
    def at(self) -> datetime: ...
    @property
    def structure(self) -> str: ...
    @property
    def shown(self) -> bool: ...


# The look-ups of one learner, newest first, at most `limit`: given the learner's address.
Viewings = Callable[[str, int], Sequence[Seen]]


def buttons() -> list[Button]:
    return [Button(title=text(key), payload=text(key)) for key in BUTTONS]


def explanation_key(identity: Identity) -> str | None:
    """The texts/gateway.yml key of the explanation for a person who cannot get the list, or
    None for a learner whose look-ups can be read."""
    if identity.kind == "learner":
        return None if identity.email else "vus_sans_adresse"
    return "vus_conseiller" if identity.kind == "adviser" else "vus_anonyme"


def replies_for(identity: Identity, viewings: Viewings, retention_days: int) -> list[Reply]:
    """The answer to « qui a regardé mes badges ? » for this person (reads the trail
    only for an identified learner, with their own address)."""
    key = explanation_key(identity)
    if key is not None:
        return [Reply(text=text(key), buttons=buttons())]
    seen = viewings(identity.email or "", MAX_SHOWN + 1)
    if not seen:
        return [Reply(text=text("vus_aucun"), buttons=buttons())]
    lines = [text("vus_titre")]
    for one in seen[:MAX_SHOWN]:
        structure = one.structure.strip() or text("vus_structure_inconnue")
        lines.append(text("vus_ligne" if one.shown else "vus_ligne_rien",
                          date=french_date(one.at, weekday=True), structure=structure))
    if len(seen) > MAX_SHOWN:
        lines.append(text("vus_plus", nombre=MAX_SHOWN))
    lines.append(text("vus_fin", jours=retention_days))
    return [Reply(text="\n".join(lines), buttons=buttons())]

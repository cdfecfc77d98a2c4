"""Topic `badges_accompagnateurs` about one badge: « c'est quoi le badge Point Info Badge ? »,
« c'est quoi le niveau Conseil Badge ? » (the quick buttons of the adviser's interview
page, or the same question typed) get an answer about that badge, not the overview of
the three.

Rasa still decides the topic (faq/badges_accompagnateurs): the gateway only narrows its
answer when the message names exactly one of the three badges, as it fills the answer of
qui_a_vu_mes_badges (bot/chat/who_saw.py). A question about the Référent Badge has its
own topic (faq/devenir_referent): answered here only when Rasa gave the overview. The
facts are those of faq/badges_accompagnateurs.yml and faq/devenir_referent.yml (their
sources) and of the course that gives the Point Info Badge (docs/course.md); the texts
are in texts/gateway.yml, checked by the FALC checker.
"""

import re

from bot.schemas import Button, Reply
from bot.texts import fold_accents, text

TOPIC = "badges_accompagnateurs"
# The payload that starts the course in the chat (bot/chat/service.py COURSE_START).
COURSE_START = "/autoformation_module"
BADGES = {
    "point_info": re.compile(r"\bpoint ?info\b"),
    "conseil": re.compile(r"\b(?:conseil badge|badge conseil|niveau conseil)\b"),
    "referent": re.compile(r"\breferente? badge\b|\bbadge referent"),
}


def named_badge(message: str) -> str | None:
    """The one accompanier badge that the message names, or None (none, or several)."""
    plain = " ".join("".join(c if c.isalnum() else " " for c in fold_accents(message)).split())
    named = [badge for badge, pattern in BADGES.items() if pattern.search(plain)]
    return named[0] if len(named) == 1 else None


def replies_for(message: str) -> list[Reply] | None:
    """The answer about one badge, or None to keep Rasa's answer."""
    badge = named_badge(message)
    if badge == "point_info":
        return [Reply(text=text("accompagnateur_point_info"), buttons=[
            Button(title=text("accompagnateur_bouton_formation"), payload=COURSE_START),
            Button(title=text("accompagnateur_bouton_les_3"),
                   payload=text("accompagnateur_bouton_les_3"))])]
    if badge == "conseil":
        return [Reply(text=text("accompagnateur_conseil"), buttons=[
            Button(title=text(key), payload=text(key))
            for key in ("accompagnateur_bouton_personne", "accompagnateur_bouton_referent",
                        "accompagnateur_bouton_les_3")])]
    if badge == "referent":
        return [Reply(text=text("accompagnateur_referent"), buttons=[
            Button(title=text("accompagnateur_bouton_les_3"),
                   payload=text("accompagnateur_bouton_les_3"))])]
    return None

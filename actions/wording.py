"""Texts of custom actions come from domain.yml responses, so the FALC checker reads
them; these helpers fill them in."""

from bot.texts import french_date  # the gateway's one date rule (standard library only)

__all__ = ["buttons_of", "french_date", "say", "wording"]


def wording(domain: dict, response: str, **values) -> str:
    return domain["responses"][response][0]["text"].format(**values)


def buttons_of(domain: dict, response: str) -> list[dict]:
    return list(domain["responses"][response][0].get("buttons") or [])


def say(dispatcher, domain: dict, response: str, topic: str, **values) -> None:
    """Utter a domain response, filled in, with its buttons and the topic it answers."""
    dispatcher.utter_message(text=wording(domain, response, **values),
                             buttons=buttons_of(domain, response), topic=topic)

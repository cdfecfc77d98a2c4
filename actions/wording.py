"""Texts of custom actions come from domain.yml responses, so the FALC checker reads
them; these helpers fill them in."""

from datetime import date

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")


def wording(domain: dict, response: str, **values) -> str:
    return domain["responses"][response][0]["text"].format(**values)


def buttons_of(domain: dict, response: str) -> list[dict]:
    return list(domain["responses"][response][0].get("buttons") or [])


def say(dispatcher, domain: dict, response: str, topic: str, **values) -> None:
    """Utter a domain response, filled in, with its buttons and the topic it answers."""
    dispatcher.utter_message(text=wording(domain, response, **values),
                             buttons=buttons_of(domain, response), topic=topic)


def french_date(day: date) -> str:
    """The date in full, as people read it: « 1er mars 2026 », « 12 avril 2026 »."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS[day.month - 1]} {day.year}"

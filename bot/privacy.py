"""Masking of personal data before anything is stored or logged.

What is masked in stored conversations (their pseudonymisation):
- e-mail addresses and phone numbers, wherever they are;
- a name that the person gives: the word after « je m'appelle », « je me nomme »,
  « mon nom est », « mon prénom est » (and « c'est »), with up to 2 more words that
  start with a capital letter (« je m'appelle Léa Martin »);
- the name of the identified person (site token, Moodle, signed-in adviser): the full
  name and each of its words of 3 letters or more, whatever the case and the accents.
Names that nothing announces (« Léa a un badge ? ») cannot be told from other words
without a model; they stay. Editors read these texts only grouped and counted.
"""

import re
import unicodedata
from collections.abc import Iterable

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# French numbers (06 12 34 56 78, +33 6 12 34 56 78, 0612345678) and other long
# international ones; dates and short numbers are left alone.
PHONE = re.compile(r"(?<!\w)(?:\+\d{1,3}[\s.-]?)?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){3,5}(?!\w)")
# « je m'appelle X », « mon nom est X Y »: the first word whatever its case (people type
# « je m'appelle lea »), the next ones only when capitalised.
NAME_PHRASE = re.compile(
    r"(?i:\b(?:je\s+m['’\s]\s*appel+e|je\s+me\s+(?:pré)?nomme|mon\s+(?:pré)?nom\s+(?:de\s+famille\s+)?"
    r"(?:est|c['’]\s*est|:))\s+)"
    r"([^\W\d_][\w'’-]*(?:\s+[A-ZÀ-ÖØ-Þ][\w'’-]*){0,2})")

EMAIL_MASK = "[e-mail masqué]"
PHONE_MASK = "[téléphone masqué]"
NAME_MASK = "[nom masqué]"
# What Rasa gets instead of an e-mail address or a phone number (mask_for_rasa).
RASA_EMAIL = "x@x.x"
RASA_PHONE = "00 00 00 00 00"


def normal_email(email: str) -> str:
    """The one form of an e-mail address that Bagou compares, looks up, hashes or turns
    into a pseudonym: without the spaces around it, in lower case (as OBF compares it)."""
    return email.strip().lower()


def mask_personal_data(text: str, names: Iterable[str | None] = ()) -> str:
    """`names`: the names of the identified person, masked wherever they appear."""
    text = EMAIL.sub(EMAIL_MASK, text)
    text = PHONE.sub(_mask_phone, text)
    return mask_names(text, names)


def mask_for_rasa(text: str, names: Iterable[str | None] = ()) -> str:
    """The person's message as Rasa gets it (bot/chat/service.py), so that no tracker
    store (SQL, Redis, memory) nor Rasa's log holds their contact: each e-mail address
    becomes RASA_EMAIL and each phone number RASA_PHONE, neutral values of the same shape,
    and the identified person's names are left out. Not the tags of the stored texts:
    « [e-mail masqué] » carries words that the topic classifier reads (« e-mail »,
    « nom »), and took messages to the e-mail topics. Measured on 200 held-out messages
    with an address or a phone added (docs/security.md): the right topic for 155
    with the real values, 125 with the tags, 167 with these values. The names that a
    phrase announces (« je m'appelle … ») stay: that rule also takes « mon nom est marqué
    sur le badge »; Rasa's SQL store masks them when it writes (rasa_ext/tracker_store.py)."""
    text = EMAIL.sub(RASA_EMAIL, text)
    text = PHONE.sub(lambda m: RASA_PHONE if _mask_phone(m) == PHONE_MASK else m.group(0), text)
    left = text
    for pattern in _name_patterns(names):
        left = pattern.sub("", left)
    return left if left.strip() else NAME_MASK  # a message that was only the name


def mask_names(text: str, names: Iterable[str | None] = ()) -> str:
    """Only the names. For the assistant's own answers: the e-mail address and phone
    number in them are the structure's public contact, which the history must show."""
    text = NAME_PHRASE.sub(lambda m: m.group(0)[:m.start(1) - m.start(0)] + NAME_MASK, text)
    for pattern in _name_patterns(names):
        text = pattern.sub(NAME_MASK, text)
    return text


def _mask_phone(match: re.Match) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return PHONE_MASK if digits >= 9 else match.group(0)


def _name_patterns(names: Iterable[str | None]) -> list[re.Pattern]:
    words: set[str] = set()
    for name in names:
        if not name or not name.strip():
            continue
        full = " ".join(name.split())
        words.add(full)
        words.update(w for w in re.split(r"[\s'’-]+", full) if len(w) >= 3)
    # The longest first, so that « Léa Martin » becomes one mask, not two.
    return [re.compile(r"(?<!\w)" + _loose(w) + r"(?!\w)", re.IGNORECASE)
            for w in sorted(words, key=len, reverse=True)]


def _loose(word: str) -> str:
    """A pattern that matches the word with or without its accents (Léa, Lea, LÉA)."""
    parts = []
    for char in word:
        base = unicodedata.normalize("NFD", char)[0]
        if char.isspace():
            parts.append(r"\s+")
        elif base != char or base.lower() in _ACCENTED:
            parts.append("[" + re.escape(base) + _ACCENTED.get(base.lower(), "") + "]")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


_ACCENTED = {"a": "àâä", "e": "éèêë", "i": "îï", "o": "ôö", "u": "ùûü", "c": "ç", "y": "ÿ"}

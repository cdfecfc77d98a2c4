"""Text helpers shared by our Rasa components (Rasa's Python 3.10 environment cannot
import the gateway's modules, so the NLU side has its own small copy of these rules)."""

from __future__ import annotations

import re
import unicodedata
from typing import List, Text


def plain(text: Text) -> Text:
    """Lowercase without accents: « Numérique », « numerique » and « NUMERIQUE » agree."""
    text = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    return "".join(c for c in text if not unicodedata.combining(c))


def words(text: Text) -> List[Text]:
    """Lowercase words without accents, elisions split (« l'endossement » → l, endossement)."""
    return re.findall(r"[a-z0-9]+", plain(text))


# Words that open a message without saying anything (« ok. et à Caen ? », « bon, et pour
# supprimer ? »): they do not make a follow-up longer.
OPENERS = {"ok", "okay", "oki", "dac", "bon", "alors", "et", "sinon",
            "mais", "donc", "puis", "ah", "euh", "hmm", "super", "merci", "bien", "ben", "bah", "daccord"}


def length_of(text: Text) -> int:
    """How many pieces a message has (words and stuck punctuation, as split by spaces),
    without the words that only open it."""
    pieces = plain(text).split()
    start = 0
    while start < len(pieces) and "".join(words(pieces[start])) in OPENERS:
        start += 1
    return len(pieces) - start


# « Ça veut dire quoi X ? », « c'est quoi un émetteur », « que signifie X », « X c koi » …:
# the person asks what a word means. Such a message is a question of its own, never a
# follow-up of the previous answer (« c'est quoi un standard ? » after the history of
# the Open Badges asks about the word, not about the history).
_MEANING = re.compile(
    r"\b(?:c\s*(?:est\s*)?(?:quoi|koi)|cest\s+quoi|veu[tx]?\s+dire|signifi\w*|"
    r"definition|qu\s*est\s*ce\s*(?:que|qu)|kesako|kezako)\b")


def asks_meaning(text: Text) -> bool:
    """Whether the message asks what something is or means (not « je fais quoi ? »)."""
    return bool(_MEANING.search(" ".join(words(text))))

"""Words as a FALC reader counts them, and how common a word is in French."""

import re
from functools import lru_cache

from wordfreq import zipf_frequency

# Below this Zipf frequency a French word is rare (falc-rules.md): about once per
# million words. ETR-fr's expert FALC texts have 1-2 % of such words.
RARE_ZIPF = 3.0

URL = re.compile(r"(?:https?://|www\.)\S+[\w/]"
                 r"|\b[\w-]+(?:\.[\w-]+)*\.(?:fr|com|org|net|eu|io|info)\b(?:/\S*[\w/])?",
                 re.IGNORECASE)
# An elided form (« l'endossement », « qu'il ») or a hyphenated word (« e-mail ») is one
# word; digits are words too.
WORD = re.compile(r"\w+(?:['’-]\w+)*")


# Emphasis marks and HTML tags: the formatting rule judges them; the parser only
# stumbles on them (it takes « * » for a verb).
MARKUP = re.compile(r"<[^>\n]+>|(?<![\w*])\*{1,2}|\*{1,2}(?![\w*])|(?<!\w)_{1,2}|_{1,2}(?!\w)")


def plain(line: str) -> str:
    return MARKUP.sub("", line)


def without_urls(text: str) -> str:
    return URL.sub(" ", text)


def words(text: str) -> list[str]:
    """The words of a text, URLs left out."""
    return WORD.findall(without_urls(text))


@lru_cache(maxsize=20_000)
def zipf(word: str) -> float:
    return zipf_frequency(word.lower().replace("’", "'"), "fr")


def is_rare(form: str, lemma: str) -> bool:
    """Rare when both the form and its lemma are rare: « enrichissez » is rarer in
    writing than « enrichir », but a reader who knows one knows the other."""
    return zipf(form) < RARE_ZIPF and zipf(lemma or form) < RARE_ZIPF

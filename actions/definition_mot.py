"""Topic `definition_mot`: the person asks what a word means (« c'est quoi un émetteur ? »,
« ça veut dire quoi plateforme ? », « c'est quoi ce mot ? » just after an answer).

The word is looked up in the glossary (glossaire.yml, falc/glossary.py), whose
explanations are FALC and checked by `bagou falc check`. Finding it needs only simple
normalisation: lowercase, accents folded, elisions and hyphens split, a final s or x
dropped (« Compétences » = « competence », « lieux » = « lieu »).

- A glossary word in the message: its explanation, and the button of its topic when the
  glossary names one (« C'est quoi un endossement ? »).
- No word at all (« c'est quoi ce mot ? »): ask which one, with buttons for 2 or 3
  glossary words of the previous answer (else common ones). A button sends
  `/definition_mot{"mot": "<word>"}`, so the choice never depends on the classifier.
- Another word, not in the glossary (« référentiel »): say so, and offer words it knows.

Questions about a word that is itself a topic (critères, endossement, sac à badges) are
examples of that FAQ topic: they reach this action only from a button or by mistake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.wording import wording
from bot.texts import fold_accents
from falc.glossary import Entry, Glossary, load_glossary

TOPIC = "definition_mot"
INTENT = "definition_mot"
MAX_WORDS_OFFERED = 3
MAX_EXPLAINED = 2
# Offered when the previous answer has fewer glossary words than this.
MIN_WORDS_OFFERED = 2
# Offered when the previous answer gives too few words: common in answers, rare in life.
DEFAULT_WORDS = ("compétence", "structure", "plateforme")
# The subject of every answer: explained only when it is the one word asked about.
GENERIC_WORD = "badge"

# Words of the question itself, never the word asked about (normalised as by tokens()).
QUESTION_WORDS = frozenset("""
    c ce cest ces cet cette ca cela sa se quoi koi kwa quoa que qu quel quelle quels quelles
    quest keske kesk kesako kezako qui ki est es et sont veut veux veu voulez vouloir dire dir
    dit di signifie signifier signification sens definition definir mot terme expression
    vocabulaire explique expliquer expliquez explication comprend comprends compren comprendre
    compri compris capte pige connais connait connaitre jai je j tu t vous nous on il elle
    ils elles me m moi toi te le la les l un une 1 de d des du au aux a en dans pour par avec
    sur svp stp plait merci bonjour slt pas ne n y ya donc alors ben bah euh hein heu
    exactement vraiment simplement simple facile difficile complique dur bizarre nouveau
    encore aussi ici mon ma mes ton ta tes son ses votre vos notre nos reponse phrase ecrit
    ecris lu vu parle utilise juste avant dernier derniere precedent precedente as avez ai
    peux peut pouvez donne donner donnez quand comment pourquoi ou bien bon ok oui non truc
    chose machin entend entends
""".split())


def tokens(text: str) -> list[str]:
    """Words without case, accents, elisions or hyphens, a final s or x dropped."""
    return [_singular(w) for w in re.findall(r"[a-z0-9]+", fold_accents(text))]


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


QUESTION_TOKENS = frozenset(_singular(w) for w in QUESTION_WORDS)


@dataclass(frozen=True)
class Found:
    """What a message asks about: glossary entries, and whether another word is there."""
    entries: list[Entry]
    unknown_word: bool  # a word that is neither a glossary word nor part of the question


def find_words(text: str, glossary: Glossary) -> Found:
    """The glossary words of a message, in the order they come, longest form first
    (« sac à badges » rather than « badge »); « badge » only when it is the only word."""
    words = tokens(text)
    spans = []  # (start, end, entry)
    for entry in glossary.entries:
        for form in entry.forms:
            needle = tokens(form)
            for start in range(len(words) - len(needle) + 1):
                if needle and words[start:start + len(needle)] == needle:
                    spans.append((start, start + len(needle), entry))
    # Longest spans first; a span inside a longer one is dropped.
    kept: list[tuple[int, int, Entry]] = []
    for span in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        if all(span[1] <= k[0] or span[0] >= k[1] for k in kept):
            kept.append(span)
    kept.sort()
    covered = {i for start, end, _ in kept for i in range(start, end)}
    leftover = [w for i, w in enumerate(words)
                if i not in covered and w not in QUESTION_TOKENS and len(w) > 1]
    entries = list(dict.fromkeys(entry for _, _, entry in kept))
    specific = [e for e in entries if e.word != GENERIC_WORD]
    if specific:
        return Found(specific, unknown_word=False)
    if leftover:  # « c'est quoi un émetteur de badge ? »: the word asked is not known
        return Found([], unknown_word=True)
    return Found(entries, unknown_word=False)


def asked_words(tracker: Tracker, glossary: Glossary) -> Found:
    """The word of a button (entity `mot`) or the words of the message."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "mot" and entity.get("value"):
            found = find_words(str(entity["value"]), glossary)
            if found.entries:
                return found
    text = tracker.latest_message.get("text") or ""
    if text.startswith("/"):  # an intent payload: only its word counts
        text = text.split("{", 1)[1] if "{" in text else ""
    return find_words(text, glossary)


def previous_answer(tracker: Tracker) -> str:
    """The text of the bot's messages just before the current question."""
    texts: list[str] = []
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                break
            seen_user = True
        elif event.get("event") == "bot" and seen_user:
            texts.insert(0, event.get("text") or "")
    return "\n".join(texts)


def words_to_offer(glossary: Glossary, answer: str) -> list[Entry]:
    """2 or 3 glossary words: those of the previous answer first, then common ones."""
    by_word = {e.word: e for e in glossary.entries}
    matches = sorted(glossary.matches(answer), key=lambda m: m.start)
    offered = [m.entry for m in matches if m.entry.word != GENERIC_WORD]
    offered = list(dict.fromkeys(offered))
    if len(offered) < MIN_WORDS_OFFERED:
        offered += [by_word[w] for w in DEFAULT_WORDS if w in by_word and by_word[w] not in offered]
    return offered[:MAX_WORDS_OFFERED]


def word_button(entry: Entry) -> dict:
    title = entry.word[:1].upper() + entry.word[1:]
    return {"title": title, "payload": f'/{INTENT}{{"mot": "{entry.word}"}}'}


class ActionDefinitionMot(Action):
    def name(self) -> str:
        return "action_definition_mot"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        glossary = load_glossary()
        found = asked_words(tracker, glossary)
        for entry in found.entries[:MAX_EXPLAINED]:
            buttons = [{"title": entry.button, "payload": entry.button}] if entry.button else []
            dispatcher.utter_message(text=entry.explanation, buttons=buttons, topic=TOPIC)
        if found.entries:
            return []
        response = ("utter_definition_mot_inconnu" if found.unknown_word
                    else "utter_definition_mot_choisir")
        buttons = [word_button(e) for e in words_to_offer(glossary, previous_answer(tracker))]
        dispatcher.utter_message(text=wording(domain, response), buttons=buttons, topic=TOPIC)
        return []

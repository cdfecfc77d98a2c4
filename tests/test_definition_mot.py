"""Topic definition_mot: the word asked about is found in the glossary with simple
normalisation (case, accents, elisions, plurals), and the action explains it, asks which
word, or says that it does not know the word yet."""

import asyncio

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.definition_mot import (ActionDefinitionMot, find_words, previous_answer, tokens,
                                    words_to_offer)
from bot.settings import PROJECT_ROOT
from falc.glossary import Entry, Glossary, load_glossary

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


def entry(word: str, *forms: str, button: str | None = None) -> Entry:
    return Entry(word, (word, *forms), f"{word} : explication.", False, button)


# A small glossary of its own, so that the tests hold whatever editors add to the real one.
GLOSSARY = Glossary([
    entry("badge", "badges", "Open Badge", "badge numérique"),
    entry("compétence", "compétences"),
    entry("structure", "structures"),
    entry("plateforme", "plateformes"),
    entry("émetteur", "émettrice"),
    entry("savoir-être", "soft skills"),
    entry("sac à badges", "sacs à badges", button="Où ranger mes badges ?"),
    entry("lieu de la reconnaissance", "lieux de la reconnaissance"),
    entry("Open Badge Passport", "OBP"),
    entry("code QR", "QR code"),
    entry("accompagnateur", "accompagnatrice"),
])


def words(text: str) -> list[str]:
    return [e.word for e in find_words(text, GLOSSARY).entries]


def test_tokens_fold_case_accents_elisions_hyphens_and_plurals():
    assert tokens("Des COMPÉTENCES de l'Émetteur") == ["des", "competence", "de", "l", "emetteur"]
    assert tokens("lieux, savoir-être") == ["lieu", "savoir", "etre"]
    assert tokens("pas QR") == ["pas", "qr"]  # words of 3 letters or fewer keep their s


@pytest.mark.parametrize("text, expected", [
    ("c'est quoi un émetteur ?", ["émetteur"]),
    ("C KOI UN EMETEUR", []),  # a typo inside the word is not guessed
    ("ça veut dire quoi emetteur", ["émetteur"]),  # accents left out
    ("c quoi les Compétences", ["compétence"]),  # case and plural
    ("l'accompagnatrice c'est qui ?", ["accompagnateur"]),  # elision, another form
    ("que veut dire savoir etre", ["savoir-être"]),  # hyphen left out
    ("des soft skills ??", ["savoir-être"]),
    ("c koi 1 plateforme", ["plateforme"]),
    ("un sac à badges c'est quoi", ["sac à badges"]),  # the longest form, not « badge »
    ("les sacs a badges", ["sac à badges"]),
    ("les LIEUX de la reconnaissance ça veut dire quoi", ["lieu de la reconnaissance"]),
    ("kesako OBP", ["Open Badge Passport"]),
    ("c quoi un qr code", ["code QR"]),
    ("une compétence et une structure, c'est quoi ?", ["compétence", "structure"]),
    ("c'est quoi un badge numérique", ["badge"]),  # badge, only when it is the only word
])
def test_the_word_asked_about_is_found(text, expected):
    assert words(text) == expected


@pytest.mark.parametrize("text, unknown", [
    ("c'est quoi ce mot ?", False),
    ("ça veut dire quoi ce mot", False),
    ("je comprends pas le mot que tu as écrit", False),
    ("c'est quoi un référentiel ?", True),  # not in this glossary
    ("c'est quoi l'émetteur du badge", False),
    ("c'est quoi un algorithme de badge", True),  # « badge » is not the word asked about
])
def test_no_word_or_an_unknown_word(text, unknown):
    found = find_words(text, GLOSSARY)
    if unknown:
        assert found.entries == [] and found.unknown_word
    elif not found.entries:
        assert not found.unknown_word


def test_the_real_glossary_knows_the_words_of_the_training_examples():
    glossary = load_glossary()
    for text, word in [("c'est quoi un émetteur ?", "émetteur"),
                       ("ça veut dire quoi référentiel ?", "référentiel"),
                       ("c'est quoi les métadonnées", "métadonnées"),
                       ("savoir-être ça veut dire quoi", "savoir-être"),
                       ("numérique ça veut dire quoi", "numérique"),
                       ("que signifie le mot plateforme", "plateforme")]:
        assert [e.word for e in find_words(text, glossary).entries] == [word], text


def test_words_offered_come_from_the_previous_answer_then_common_ones():
    answer = "Ouvrez votre sac à badges.\nUne structure donne le badge.\nRendez le badge public."
    assert [e.word for e in words_to_offer(GLOSSARY, answer)] == ["sac à badges", "structure"]
    one = "Une structure donne le badge."
    assert [e.word for e in words_to_offer(GLOSSARY, one)] == ["structure", "compétence", "plateforme"]
    assert [e.word for e in words_to_offer(GLOSSARY, "")] == [
        "compétence", "structure", "plateforme"]


def tracker(text: str, events: list[dict] | None = None, entities=None) -> Tracker:
    latest = {"text": text, "intent": {"name": "definition_mot", "confidence": 1.0},
              "entities": entities or []}
    events = [*(events or []), {"event": "user", "text": text, "parse_data": latest}]
    return Tracker("s", {}, latest, events, False, None, {}, "action_listen")


def run(tracker_: Tracker) -> list[dict]:
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionDefinitionMot().run(dispatcher, tracker_, DOMAIN))
    assert {m["topic"] for m in dispatcher.messages} == {"definition_mot"}
    return dispatcher.messages


def test_the_action_explains_a_glossary_word_with_its_topic_button():
    glossary = load_glossary()
    (message,) = run(tracker("ça veut dire quoi les sacs à badges ?"))
    sac = next(e for e in glossary.entries if e.word == "sac à badges")
    assert message["text"] == sac.explanation
    assert [b["title"] for b in message["buttons"]] == [sac.button]


def test_the_action_asks_which_word_of_the_previous_answer():
    before = [{"event": "user", "text": "comment partager"},
              {"event": "bot", "text": "Ouvrez votre sac à badges.\nUne structure donne le badge."}]
    (message,) = run(tracker("c'est quoi ce mot ?", before))
    assert message["text"] == DOMAIN["responses"]["utter_definition_mot_choisir"][0]["text"]
    titles = [b["title"] for b in message["buttons"]]
    assert titles[:2] == ["Sac à badges", "Structure"] and 2 <= len(titles) <= 3
    # A button sends the intent with its word: the choice never depends on the classifier.
    assert message["buttons"][0]["payload"] == '/definition_mot{"mot": "sac à badges"}'


def test_a_button_of_the_action_gets_its_word_explained():
    payload = '/definition_mot{"mot": "structure"}'
    (message,) = run(tracker(payload, entities=[{"entity": "mot", "value": "structure"}]))
    structure = next(e for e in load_glossary().entries if e.word == "structure")
    assert message["text"] == structure.explanation
    # Without the entity (Rasa drops an unknown one), the payload's word still counts.
    (message,) = run(tracker(payload))
    assert message["text"] == structure.explanation


def test_a_word_the_glossary_does_not_have_is_said_honestly():
    (message,) = run(tracker("c'est quoi un algorithme ?"))
    assert message["text"] == DOMAIN["responses"]["utter_definition_mot_inconnu"][0]["text"]
    assert len(message["buttons"]) >= 2


def test_previous_answer_is_the_bot_text_just_before_the_question():
    events = [{"event": "bot", "text": "ancienne"}, {"event": "user", "text": "q1"},
              {"event": "bot", "text": "a"}, {"event": "bot", "text": "b"},
              {"event": "action", "name": "action_listen"}, {"event": "user", "text": "q2"}]
    t = Tracker("s", {}, {"text": "q2"}, events, False, None, {}, "action_listen")
    assert previous_answer(t) == "a\nb"

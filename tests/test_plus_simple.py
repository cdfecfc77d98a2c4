"""« J'ai pas compris », again and again: the simpler version, then one step at a time
(or the concrete example), then a person. Counted from the tracker's events, for the
answer that the person just read, never an older one."""

import asyncio
import json
import re

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.plus_simple import (SUITE, ActionPlusSimple, explained_answer, is_steps,
                                 paced, parts_of, suite_of)
from bot.chat.topics import all_topics
from bot.settings import PROJECT_ROOT

# The domain as the action server gets it from Rasa: domain.yml and the FAQ responses.
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
DOMAIN["responses"] = dict(DOMAIN["responses"])
for path in sorted((PROJECT_ROOT / "faq").glob("*.yml")):
    DOMAIN["responses"].update(yaml.safe_load(path.read_text(encoding="utf-8"))["responses"])

TITLES = {t.id: t.title for t in all_topics().values()}
CALL_THE_STRUCTURE = DOMAIN["responses"]["utter_plus_simple_sans_contact"][0]["text"]


def wording(name: str) -> str:
    return DOMAIN["responses"][name][0]["text"]


def variation(topic: str, simple: bool) -> dict:
    (found,) = [v for v in DOMAIN["responses"][f"utter_faq/{topic}"]
                if bool(v.get("condition")) == simple]
    return found


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def user(text: str, intent: str, entities: list[dict] | None = None) -> dict:
    parse = {"text": text, "intent": {"name": intent, "confidence": 1.0},
             "entities": entities or []}
    return {"event": "user", "text": text, "parse_data": parse}


def answer(response: str, topic: str | None = None) -> dict:
    """A bot message as Rasa stores it: the response it came from and the action's topic."""
    metadata = {"utter_action": response} if response else {}
    if topic:
        metadata["topic"] = topic
    return {"event": "bot", "text": "…", "metadata": metadata}


class Conversation:
    """Turns played through action_plus_simple, its messages kept as Rasa keeps them."""

    def __init__(self, *events: dict):
        self.events = [{"event": "action", "name": "action_listen"}, *events]

    def faq(self, topic: str) -> None:
        self.events += [user(TITLES[topic], "faq"), answer(f"utter_faq/{topic}")]

    def send(self, text: str = "j'ai pas compris", entities: list[dict] | None = None,
             ) -> dict:
        message = user(text, "plus_simple", entities)
        self.events.append(message)
        tracker = Tracker("s", {}, message["parse_data"], self.events, False, None, {},
                          "action_listen")
        dispatcher = CollectingDispatcher()
        asyncio.run(ActionPlusSimple().run(dispatcher, tracker, DOMAIN))
        (reply,) = dispatcher.messages
        self.events.append(answer(reply.get("response"), reply.get("topic")))
        self.events.append({"event": "action", "name": "action_listen"})
        return reply

    def press(self, button: dict) -> dict:
        """A button with an intent payload, as Rasa's RegexMessageHandler reads it."""
        match = re.fullmatch(r"/(?P<intent>[^{@]+)(?P<entities>\{.+\})?", button["payload"])
        assert match and match["intent"] == "plus_simple"
        entities = [{"entity": k, "value": v}
                    for k, v in json.loads(match["entities"] or "{}").items()]
        return self.send(button["payload"], entities)


def shown_lines(reply: dict) -> list[str]:
    """The lines of the answer in a reply, without the wordings of action_plus_simple."""
    ours = {line for name in ("utter_plus_simple_etapes", "utter_plus_simple_exemple",
                              "utter_plus_simple_consigne", "utter_plus_simple_fin")
            for line in lines(wording(name))}
    return [line for line in lines(reply["text"]) if line not in ours]


def test_the_first_time_it_says_the_simpler_version_of_the_answer():
    talk = Conversation()
    talk.faq("partager_linkedin")
    reply = talk.send()
    simple = variation("partager_linkedin", simple=True)
    assert reply["topic"] == "plus_simple"
    assert reply["text"] == simple["text"] and reply["buttons"] == simple["buttons"]


def test_the_second_time_a_how_to_comes_one_step_at_a_time_to_its_end():
    talk = Conversation()
    talk.faq("partager_linkedin")
    talk.send()
    reply = talk.send("c'est encore trop compliqué")
    assert reply["topic"] == "plus_simple"
    assert lines(reply["text"])[0] == wording("utter_plus_simple_etapes")
    assert reply["text"].endswith(wording("utter_plus_simple_consigne"))
    usual = variation("partager_linkedin", simple=False)
    seen = shown_lines(reply)
    assert seen == lines(usual["text"])[:2]
    # « La suite » until the last part: every line of the answer once, in its order,
    # never more than 2 at a time, and the answer's buttons at the end.
    while reply["buttons"] and reply["buttons"][0]["title"] == wording("utter_bouton_la_suite"):
        (suite,) = reply["buttons"]
        assert suite["payload"].startswith('/plus_simple{"suite": ')
        reply = talk.press(suite)
        assert reply["topic"] == "plus_simple"
        assert 1 <= len(shown_lines(reply)) <= 2
        seen += shown_lines(reply)
    assert seen == lines(usual["text"])
    assert lines(reply["text"])[-1] == wording("utter_plus_simple_fin")
    assert reply["buttons"] == usual["buttons"]


def test_a_question_in_the_steps_stays_with_its_answer():
    parts = parts_of(["Ouvrez le badge.", "Rendez le badge public.", "Cliquez sur le logo.",
                      "Le logo manque ?", "Copiez le lien.", "Par exemple :", "- un CV,",
                      "- un e-mail."])
    assert parts == [["Ouvrez le badge.", "Rendez le badge public."], ["Cliquez sur le logo."],
                     ["Le logo manque ?", "Copiez le lien."],
                     ["Par exemple :", "- un CV,", "- un e-mail."]]


HOW_TO = """Ouvrez le badge dans Open Badge Passport.
Rendez le badge public.
Le lien montre alors le badge à tout le monde.
Dans votre profil, ajoutez la partie « Licences ».
Puis connectez-vous à LinkedIn."""
EXPLANATION = """Un Open Badge est une image numérique.
Il montre une compétence.
Une structure vous donne ce badge chez elle.
Vous remplissez les critères ?
Alors demandez le badge à la structure."""


def test_a_how_to_is_told_from_an_explanation():
    assert is_steps(HOW_TO) and not is_steps(EXPLANATION)


@pytest.mark.parametrize("path", sorted((PROJECT_ROOT / "faq").glob("*.yml")), ids=lambda p: p.stem)
def test_every_faq_answer_can_be_said_one_step_at_a_time(path):
    """Its steps, or else the example of its simpler version: every line once, in
    order, at most 2 at a time (a list stays whole)."""
    response = f"utter_faq/{path.stem}"
    way = paced(DOMAIN, response)
    assert way is not None
    source = (variation(path.stem, simple=False) if way.intro == "utter_plus_simple_etapes"
              else variation(path.stem, simple=True))
    said = [line for part in way.parts for line in part]
    if way.intro == "utter_plus_simple_etapes":
        assert said == lines(source["text"])
    else:
        # The example: the end of the simpler version, its first line without « Par exemple ».
        simple = lines(source["text"])
        assert said[1:] == simple[len(simple) - len(said) + 1:]
        assert simple[len(simple) - len(said)].endswith(said[0][1:])
    assert all(1 <= len([l for l in part if not l.startswith("- ")]) <= 2 for part in way.parts)


def test_the_second_time_an_explanation_gives_its_concrete_example():
    talk = Conversation()
    talk.faq("badge_definition")
    talk.send()
    reply = talk.send()
    assert reply["topic"] == "plus_simple"
    assert lines(reply["text"])[:2] == lines(wording("utter_plus_simple_exemple"))
    simple = lines(variation("badge_definition", simple=True)["text"])
    example_starts = next(i for i, line in enumerate(simple) if line.startswith("Par exemple"))
    seen = shown_lines(reply)
    while reply["buttons"] and reply["buttons"][0]["payload"].startswith("/plus_simple"):
        reply = talk.press(reply["buttons"][0])
        seen += shown_lines(reply)
    # The example alone, told as a story: the definition before it is not said again.
    assert seen[0] == simple[example_starts].removeprefix("Par exemple, ").capitalize()
    assert seen[1:] == simple[example_starts + 1:]


def test_the_third_time_it_offers_a_person(contact):
    talk = Conversation()
    talk.faq("partager_badge")
    talk.send()
    talk.send()
    reply = talk.send("j'ai toujours rien compris")
    assert reply["topic"] == "plus_simple"
    assert reply["text"].startswith(wording("utter_plus_simple_personne"))
    assert "Contact : Espace badges de Caen" in reply["text"]
    assert "Téléphone : 02 31 00 00 00" in reply["text"]
    assert reply["buttons"][0] == {"title": "Site de la structure",
                                   "payload": "https://example.org/contact"}
    assert TITLES["lieux_reconnaissance"] in [b["title"] for b in reply["buttons"]]
    # And again after that: still a person, not the first way again.
    assert talk.send()["text"] == reply["text"]


def test_without_a_contact_the_person_is_the_structure_of_the_badge(no_contact):
    talk = Conversation()
    talk.faq("partager_badge")
    for _ in range(2):
        talk.send()
    reply = talk.send()
    assert CALL_THE_STRUCTURE in reply["text"]
    assert "Contact :" not in reply["text"]


def test_la_suite_is_not_one_more_pas_compris():
    talk = Conversation()
    talk.faq("partager_badge")
    talk.send()
    steps = talk.send()
    next_part = talk.press(steps["buttons"][0])
    talk.press(next_part["buttons"][0])
    assert explained_answer(talk.events).level == 2
    assert talk.send()["text"].startswith(wording("utter_plus_simple_personne"))


def test_a_new_answer_starts_the_count_again():
    talk = Conversation()
    talk.faq("partager_badge")
    talk.send()
    talk.send()
    talk.faq("obtenir_badge")
    reply = talk.send()
    assert reply["text"] == variation("obtenir_badge", simple=True)["text"]


def test_the_button_re_explains_the_answer_it_came_with_not_an_older_one():
    # A FAQ answer, then a glossary word explained by a custom action (no response
    # name, no simpler version); « Je n'ai pas compris » is about the word.
    talk = Conversation()
    talk.faq("badge_definition")
    talk.events += [user("c'est quoi un émetteur ?", "definition_mot"),
                    answer("", "definition_mot")]
    reply = talk.send(TITLES["plus_simple"])
    assert reply["response"] == "utter_plus_simple_sans_reponse"
    assert reply["text"] != variation("badge_definition", simple=True)["text"]
    # The second time, a person: there is no other way to say that answer.
    assert talk.send(TITLES["plus_simple"])["text"].startswith(
        wording("utter_plus_simple_personne"))


def test_the_button_after_a_dialog_answer_explains_that_answer():
    talk = Conversation()
    talk.faq("partager_cv")
    talk.events += [user("Vérifier un badge", "verifier_badge"), answer("utter_verifier_badge")]
    reply = talk.send(TITLES["plus_simple"])
    (simple,) = [v for v in DOMAIN["responses"]["utter_verifier_badge"] if v.get("condition")]
    assert reply["text"] == simple["text"]


def test_with_nothing_said_before_it_offers_to_help_another_way():
    talk = Conversation()
    assert talk.send()["response"] == "utter_plus_simple_sans_reponse"


def test_an_old_la_suite_button_continues_the_answer_it_came_with():
    talk = Conversation()
    talk.faq("partager_badge")
    talk.send()
    suite = talk.send()["buttons"][0]
    talk.faq("badge_definition")
    reply = talk.press(suite)
    assert shown_lines(reply) == lines(variation("partager_badge", simple=False)["text"])[2:4]


def test_a_broken_suite_payload_is_read_as_pas_compris():
    talk = Conversation()
    talk.faq("partager_badge")
    reply = talk.send('/plus_simple{"suite": "utter_inconnu 3"}',
                      [{"entity": SUITE, "value": "utter_inconnu 3"}])
    assert reply["text"] == variation("partager_badge", simple=True)["text"]
    assert suite_of({"entities": [{"entity": SUITE, "value": "n'importe quoi"}]}) is None


def test_the_suite_entity_changes_no_prediction_and_the_rule_answers_it():
    (entity,) = [e for e in DOMAIN["entities"] if isinstance(e, dict) and SUITE in e]
    assert entity[SUITE]["influence_conversation"] is False
    rules = yaml.safe_load((PROJECT_ROOT / "data" / "stories" / "rules.yml").read_text())
    assert {"rule": "Say the last answer again, more simply",
            "steps": [{"intent": "plus_simple"}, {"action": "action_plus_simple"}]} in rules["rules"]


def test_every_button_of_the_person_offer_leads_to_a_topic():
    titles = set(TITLES.values())
    for button in DOMAIN["responses"]["utter_plus_simple_personne"][0]["buttons"]:
        assert button["title"] == button["payload"] and button["payload"] in titles

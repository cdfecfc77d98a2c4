"""The course in the chat (issue 22, items 1 and 2): the content of formation/ is well
formed and FALC, and action_autoformation_module takes a person through it, with right
and wrong answers, skipping, going back, a pause, a stop, a FAQ question in the middle,
progress saved by the gateway, and the completion event for the badge."""

import asyncio
import json
import re
import shutil

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.obf_access as obf_access
from actions.formation import (ACTIVE_SLOT, PASSED_SLOT, STATE_SLOT, TOPIC,
                               ActionAutoformationModule, CourseState, parse_gesture)
from bot.chat.course_content import COURSE_DIR, course, course_texts, load_course
from bot.obf.directory import DirectoryResult, ObfDirectory
from bot.settings import PROJECT_ROOT

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
COURSE = course()
STEPS = ["decrire", "recevoir", "partager", "enrichir", "endosser", "rechercher"]


def wording(name: str, **values) -> str:
    return DOMAIN["responses"][name][0]["text"].format(**values)


# --- the content ----------------------------------------------------------------------

def test_the_course_has_the_six_steps_in_order_and_each_is_well_formed():
    assert list(COURSE.etapes) == STEPS
    assert [s.id for s in COURSE.steps] == STEPS
    for step in COURSE.steps:
        assert 2 <= len(step.messages) <= 4, step.id
        assert 1 <= len(step.questions) <= 2, step.id
        for question in step.questions:
            assert 2 <= len(question.reponses) <= 3
            assert sum(a.juste for a in question.reponses) == 1
            assert question.explication.strip()
        assert step.sources
    assert COURSE.needed() == -(-len(COURSE.question_keys) * 4 // 5)


def test_facts_that_the_course_must_teach_are_there():
    text = "\n".join(t for _, _, t, _ in course_texts())
    for fact in ("émetteur", "critères", "preuve", "endossement", "Open Badge Passport",
                 "sac à badges", "rendez le badge public", "Ajouter au profil",
                 "Licences et certifications"):
        assert fact.lower() in text.lower(), fact


def copy_course(tmp_path):
    target = tmp_path / "formation"
    shutil.copytree(COURSE_DIR, target)
    return target


@pytest.mark.parametrize("change, message", [
    (lambda d: d["questions"][0]["reponses"][1].update(juste=True), "exactly one answer"),
    (lambda d: d["questions"][0]["reponses"].clear(), "at least 2"),
    (lambda d: d.update(messages=d["messages"][:1]), "at least 2"),
    (lambda d: d.update(questions=d["questions"] * 2), "at most 2"),
    (lambda d: d.update(lien={"titre": "Site", "url": "http://example.org"}), "https"),
    (lambda d: d.update(id="autre"), "file name"),
    (lambda d: d.update(typo="x"), "typo"),
    (lambda d: d["messages"].__setitem__(0, "  "), "empty text"),
])
def test_a_badly_formed_step_is_refused_with_a_reason(tmp_path, change, message):
    directory = copy_course(tmp_path)
    path = directory / "partager.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_course(directory)


def test_a_missing_or_unlisted_step_file_is_refused(tmp_path):
    directory = copy_course(tmp_path)
    (directory / "brouillon.yml").write_text("id: brouillon\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not listed"):
        load_course(directory)
    (directory / "brouillon.yml").unlink()
    (directory / "enrichir.yml").unlink()
    with pytest.raises(ValueError, match="missing"):
        load_course(directory)


def test_every_text_of_the_course_passes_the_falc_checker():
    from falc.checker import check
    from falc.texts import ANSWER, TITLE, Text
    texts = [Text(origin, ANSWER if kind == "réponse" else TITLE, text, buttons)
             for origin, kind, text, buttons in course_texts()]
    failed = [(r.source.origin, f.rule, f.sentence) for r in check(texts)
              for f in r.findings if f.level == "échec"]
    assert failed == []


def test_the_falc_checker_of_the_project_reads_the_course():
    from falc.texts import gather
    gathered = {(t.kind, t.text) for t in gather()}
    for _, kind, text, _ in course_texts():
        assert ("réponse" if kind == "réponse" else "bouton", text) in gathered, text


# --- playing the course ---------------------------------------------------------------

class Learner:
    """Turns played through the action, with the slots kept as Rasa keeps them."""

    def __init__(self, slots: dict | None = None, metadata: dict | None = None):
        self.slots = dict(slots or {})
        self.metadata = metadata or {}
        self.messages: list[dict] = []  # the last turn's messages
        self.events: list[dict] = []

    def send(self, gesture: str | None = None, intent: str = "autoformation_module",
             text: str = "je veux apprendre") -> list[dict]:
        entities = [{"entity": "formation", "value": gesture}] if gesture else []
        tracker = Tracker.from_dict({
            "sender_id": "lea", "slots": self.slots, "events": [],
            "latest_message": {"text": text, "intent": {"name": intent, "confidence": 1.0},
                               "entities": entities, "metadata": self.metadata}})
        dispatcher = CollectingDispatcher()
        self.events = asyncio.run(ActionAutoformationModule().run(dispatcher, tracker, DOMAIN))
        for event in self.events:
            assert event["event"] == "slot"
            self.slots[event["name"]] = event["value"]
        self.messages = dispatcher.messages
        return self.messages

    def click(self, title: str) -> list[dict]:
        """Press the button with this title of the last message, as the widget does."""
        buttons = {b["title"]: b["payload"] for b in self.buttons()}
        assert title in buttons, (title, list(buttons))
        gesture = json.loads("{" + buttons[title].split("{", 1)[1])["formation"]
        return self.send(gesture, text=buttons[title])

    def buttons(self) -> list[dict]:
        shown = [m for m in self.messages if m.get("text")]
        return shown[-1].get("buttons") or [] if shown else []

    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages if m.get("text")]

    def custom(self) -> dict | None:
        found = [m["custom"]["course"] for m in self.messages if m.get("custom")]
        assert len(found) <= 1
        return found[0] if found else None

    @property
    def state(self) -> dict:
        return self.slots[STATE_SLOT]

    def answer(self, right: bool) -> None:
        """Choose the right answer, or a wrong one, of the question on screen."""
        step = COURSE.step(self.state["step"])
        question = step.questions[self.state["index"]]
        wrong = next(a for a in question.reponses if not a.juste)
        self.click(question.reponses[question.right].texte if right else wrong.texte)

    def read_step(self) -> None:
        """« La suite » until the first question of the step."""
        while self.state["screen"] == "lesson":
            self.click(wording("utter_bouton_la_suite"))


def progress(number: int, step: str) -> str:
    return wording("utter_formation_etape", numero=number, total=6, titre=COURSE.step(step).titre)


def take_course(learner: Learner, plan: dict[str, list[str]] | None = None) -> None:
    """The whole course; plan: per question key, the answers given (« right »,
    « wrong, right », « wrong, wrong »), right at once otherwise."""
    plan = plan or {}
    learner.send()
    for number, step_id in enumerate(STEPS, start=1):
        learner.read_step()
        step = COURSE.step(step_id)
        for q in range(len(step.questions)):
            key = step.question_key(q)
            for given in plan.get(key, ["right"]):
                learner.answer(given == "right")
        assert learner.state["screen"] == "step_end"
        assert learner.texts()[-2 if step.a_vous else -1] == wording(
            "utter_formation_fin_etape", numero=number, total=6)
        learner.click(wording("utter_bouton_la_suite"))


def test_a_whole_course_with_right_answers_completes_and_passes():
    learner = Learner()
    first = learner.send()
    assert first[0]["text"] == wording("utter_formation_accueil", total=6)
    assert first[1]["text"].startswith(progress(1, "decrire") + "\n")
    assert all(m.get("topic") == TOPIC for m in first if m.get("text"))
    assert learner.custom()["event"] == "started"
    take_course(learner)
    total = len(COURSE.question_keys)
    assert learner.texts() == [wording("utter_formation_reussie", score=total, total=total)]
    completed = learner.custom()
    assert completed["event"] == "completed" and completed["passed"] is True
    assert (completed["score"], completed["questions"]) == (total, total)
    assert learner.slots[PASSED_SLOT] is True and learner.slots[ACTIVE_SLOT] is False
    assert learner.state["status"] == "finished"
    # Asked again later: the result, and a way to start again.
    learner.send()
    assert learner.texts() == [wording("utter_formation_deja_finie", score=total, total=total)]
    assert [b["title"] for b in learner.buttons()] == [
        wording("utter_formation_bouton_recommencer")]


def test_passing_the_course_forgets_the_badge_look_ups_kept_for_the_conversation(
        monkeypatch):
    """The gateway issues the Point Info badge after this turn: « quel badge ensuite ? »
    or « voir plus » must then ask OBF again, not show the list of a minute ago."""
    directory = ObfDirectory([])
    for conversation in ("lea", "sam"):
        directory.recent.put(conversation, ("learner", "lea.martin@example.org", ()),
                             DirectoryResult())
    monkeypatch.setattr(obf_access, "_directory", directory)
    learner = Learner()
    take_course(learner)
    assert learner.custom()["passed"] is True
    assert directory.recent.get("lea", ("learner", "lea.martin@example.org", ())) is None
    assert directory.recent.get("sam", ("learner", "lea.martin@example.org", ())) is not None


def test_a_right_answer_on_the_second_try_counts_and_two_wrong_answers_do_not():
    learner = Learner()
    # 2 right on the second try, 2 wrong twice: 10 of 12, the pass mark.
    plan = {"decrire.1": ["wrong", "right"], "partager.2": ["wrong", "right"],
            "recevoir.1": ["wrong", "wrong"], "endosser.2": ["wrong", "wrong"]}
    take_course(learner, plan)
    completed = learner.custom()
    assert (completed["score"], completed["needed"], completed["passed"]) == (10, 10, True)


def test_too_many_wrong_answers_complete_the_course_without_passing():
    learner = Learner()
    plan = {k: ["wrong", "wrong"] for k in ("decrire.1", "recevoir.2", "enrichir.1")}
    take_course(learner, plan)
    completed = learner.custom()
    assert completed["event"] == "completed" and completed["passed"] is False
    assert learner.texts() == [wording("utter_formation_pas_reussie", score=9, total=12,
                                       besoin=10)]
    assert learner.slots.get(PASSED_SLOT) is None  # never set
    assert [b["title"] for b in learner.buttons()] == [
        wording("utter_formation_bouton_recommencer")]


def test_a_wrong_answer_gets_a_kind_explanation_then_a_second_try():
    learner = Learner()
    learner.send()
    learner.read_step()
    question = COURSE.step("decrire").questions[0]
    titles = [a.texte for a in question.reponses]
    assert [b["title"] for b in learner.buttons()] == titles + [
        wording("utter_formation_bouton_pause")]
    learner.answer(False)
    explained, again = learner.texts()
    assert explained == "\n".join([wording("utter_formation_faux"), question.explication,
                                   wording("utter_formation_essayer")])
    assert again == question.question
    assert learner.custom()["answer"] == {"question": "decrire.1", "right": False, "attempt": 1}
    learner.answer(False)
    assert learner.texts()[0] == wording("utter_formation_bonne_reponse",
                                         reponse=question.reponses[question.right].texte)
    assert learner.custom()["answer"] == {"question": "decrire.1", "right": False, "attempt": 2}
    assert learner.state["results"] == {"decrire.1": False}
    # An old answer button of that question, pressed again: the question on screen instead.
    learner.send("reponse decrire 1 1")
    assert learner.state["results"] == {"decrire.1": False}
    assert learner.texts() == [progress(1, "decrire") + "\n" + COURSE.step("decrire").questions[1].question]


def test_the_progress_line_says_the_step_number_on_every_message():
    learner = Learner()
    learner.send()
    learner.click(wording("utter_formation_bouton_passer"))
    learner.click(wording("utter_formation_bouton_passer"))
    (shown,) = learner.texts()
    assert shown.splitlines()[0] == "Étape 3 sur 6 : Partager un badge"
    assert learner.custom()["number"] == 3
    learner.read_step()
    assert learner.texts()[0].splitlines()[0] == "Étape 3 sur 6 : Partager un badge"


def test_skipped_steps_are_offered_at_the_end_then_complete_the_course():
    learner = Learner()
    learner.send()
    for step_id in STEPS:
        if step_id in ("recevoir", "endosser"):
            learner.click(wording("utter_formation_bouton_passer"))
            assert learner.custom()["event"] == "skipped"
            continue
        learner.read_step()
        while learner.state["screen"] == "question":
            learner.answer(True)
        learner.click(wording("utter_bouton_la_suite"))
    assert learner.texts() == [wording("utter_formation_etapes_restantes")]
    assert learner.custom()["event"] == "progress" and learner.slots[ACTIVE_SLOT] is True
    assert [b["title"] for b in learner.buttons()] == [
        "Étape 2 : Recevoir un badge", "Étape 5 : Endosser un badge"]
    learner.click("Étape 2 : Recevoir un badge")
    assert learner.texts()[0].startswith(progress(2, "recevoir"))
    for _ in ("recevoir", "endosser"):
        learner.read_step()
        while learner.state["screen"] == "question":
            learner.answer(True)
        learner.click(wording("utter_bouton_la_suite"))
        # After step 2, « La suite » goes on to what is left: step 5, not step 3.
        if learner.state["screen"] == "lesson":
            assert learner.texts()[0].startswith(progress(5, "endosser"))
    assert learner.custom()["event"] == "completed" and learner.custom()["passed"] is True


def test_going_back():
    learner = Learner()
    learner.send()
    titles = [b["title"] for b in learner.buttons()]
    assert wording("utter_formation_bouton_retour") not in titles  # nothing before
    learner.click(wording("utter_bouton_la_suite"))
    learner.click(wording("utter_formation_bouton_retour"))
    assert learner.texts() == [progress(1, "decrire") + "\n" + COURSE.step("decrire").messages[0]]
    # From a question: the step's last message.
    learner.read_step()
    learner.send("retour")
    assert learner.texts() == [progress(1, "decrire") + "\n" + COURSE.step("decrire").messages[-1]]
    # From the first message of a step: the first message of the step before.
    learner.click(wording("utter_formation_bouton_passer"))
    learner.click(wording("utter_formation_bouton_retour"))
    assert learner.texts() == [progress(1, "decrire") + "\n" + COURSE.step("decrire").messages[0]]


def test_pause_then_resume_at_the_same_place():
    learner = Learner()
    learner.send()
    learner.read_step()
    learner.answer(False)  # a first wrong answer: the second try waits
    learner.click(wording("utter_formation_bouton_pause"))
    assert learner.texts() == [wording("utter_formation_pause", numero=1, total=6)]
    assert [b["title"] for b in learner.buttons()] == [
        wording("utter_formation_bouton_reprendre"), wording("utter_formation_bouton_arreter")]
    assert learner.slots[ACTIVE_SLOT] is False and learner.custom()["event"] == "paused"
    # « Je veux apprendre » later: where the person is, to resume or start again.
    learner.send()
    assert learner.texts() == [wording("utter_formation_deja", numero=1, total=6)]
    assert [b["title"] for b in learner.buttons()] == [
        wording("utter_formation_bouton_reprendre"), wording("utter_formation_bouton_recommencer")]
    learner.click(wording("utter_formation_bouton_reprendre"))
    assert learner.custom()["event"] == "resumed" and learner.slots[ACTIVE_SLOT] is True
    assert learner.texts() == [progress(1, "decrire") + "\n" + COURSE.step("decrire").questions[0].question]
    learner.answer(True)  # the second try
    assert learner.state["results"] == {"decrire.1": True}


def test_stop_then_start_again_from_the_beginning():
    learner = Learner()
    learner.send()
    learner.click(wording("utter_formation_bouton_passer"))
    learner.click(wording("utter_formation_bouton_pause"))
    learner.click(wording("utter_formation_bouton_arreter"))
    assert learner.texts() == [wording("utter_formation_arret")]
    assert learner.custom()["event"] == "stopped" and learner.custom()["step"] == "recevoir"
    assert learner.slots[ACTIVE_SLOT] is False
    learner.send()
    assert learner.texts()[0] == wording("utter_formation_accueil", total=6)
    assert learner.state["step"] == "decrire" and learner.custom()["event"] == "started"


def test_an_old_stop_button_in_a_new_conversation_starts_nothing():
    learner = Learner()
    learner.send("arreter")
    assert learner.texts() == [wording("utter_formation_arret")]
    assert learner.events == [] and learner.custom() is None
    # Any other course button of an old conversation starts the course.
    learner.send("suite")
    assert learner.texts()[0] == wording("utter_formation_accueil", total=6)


def test_a_faq_question_in_the_middle_is_followed_by_on_reprend():
    learner = Learner()
    learner.send()
    learner.click(wording("utter_bouton_la_suite"))
    before = dict(learner.state)
    learner.send(intent="faq", text="c'est quoi un endossement ?")
    (prompt,) = learner.messages
    assert prompt["text"] == wording("utter_formation_reprise", numero=1, total=6)
    assert prompt["text"].startswith("On reprend ?")
    # No topic and no response name: the turn keeps the FAQ's topic.
    assert not prompt.get("topic") and not prompt.get("response") and not prompt.get("custom")
    assert [b["title"] for b in prompt["buttons"]] == [
        wording("utter_formation_bouton_reprendre"), wording("utter_formation_bouton_pause")]
    assert learner.events == [] and learner.state == before
    learner.click(wording("utter_formation_bouton_reprendre"))
    assert learner.texts() == [progress(1, "decrire") + "\n" + COURSE.step("decrire").messages[1]]
    # Paused: a FAQ question is only answered.
    learner.click(wording("utter_formation_bouton_pause"))
    assert learner.send(intent="faq", text="c'est quoi un badge") == []


def test_progress_saved_by_the_gateway_resumes_in_a_new_session():
    learner = Learner()
    learner.send()
    learner.click(wording("utter_formation_bouton_passer"))
    learner.click(wording("utter_bouton_la_suite"))
    saved = learner.custom()["state"]
    assert saved == learner.state
    # Another day, another device: a new conversation, the state comes in the metadata.
    other = Learner(metadata={"course": {"state": saved}})
    other.send()
    assert other.texts() == [wording("utter_formation_deja", numero=2, total=6)]
    assert other.slots[STATE_SLOT] == saved
    other.click(wording("utter_formation_bouton_reprendre"))
    assert other.texts() == [progress(2, "recevoir") + "\n" + COURSE.step("recevoir").messages[1]]
    # The slot's state wins over an older saved one; a newer saved one wins over the slot.
    older = {**saved, "step": "decrire", "seq": saved["seq"] - 1}
    other.metadata = {"course": {"state": older}}
    other.send("suite")
    assert other.state["step"] == "recevoir"
    newer = {**other.state, "step": "enrichir", "index": 0, "seq": other.state["seq"] + 5}
    other.metadata = {"course": {"state": newer}}
    other.send("reprendre")
    assert other.texts() == [progress(4, "enrichir") + "\n" + COURSE.step("enrichir").messages[0]]


@pytest.mark.parametrize("saved", [
    None, "texte", {}, {"v": 99}, {"v": 1, "step": "inconnue"},
    {"v": 1, "step": "partager", "screen": "lesson", "index": 9, "attempt": 1,
     "results": {}, "status": "active", "seq": 3},
    {"v": 1, "step": "partager", "screen": "question", "index": 0, "attempt": 3,
     "results": {}, "status": "active", "seq": 3},
])
def test_a_saved_state_that_does_not_fit_is_dropped(saved):
    assert CourseState.from_dict(saved, COURSE) is None
    learner = Learner(metadata={"course": {"state": saved}})
    learner.send()
    assert learner.texts()[0] == wording("utter_formation_accueil", total=6)


def test_a_saved_state_keeps_only_results_of_questions_that_exist():
    state = CourseState.from_dict({"v": 1, "step": "partager", "screen": "lesson", "index": 0,
                                   "attempt": 1, "status": "paused", "seq": 4,
                                   "results": {"decrire.1": True, "vieux.1": True,
                                               "decrire.2": "oui"}}, COURSE)
    assert state.results == {"decrire.1": True}


@pytest.mark.parametrize("value, kind", [
    ("suite", "suite"), ("reponse partager 2 3", "reponse"), ("etape enrichir", "etape"),
    ("n'importe quoi", None), ("reponse partager x 1", None), ("reponse partager 0 1", None),
    (None, None), (3, None),
])
def test_gestures_of_the_buttons(value, kind):
    gesture = parse_gesture(value)
    assert (gesture.kind if gesture else None) == kind


def test_every_button_is_an_intent_payload_or_a_link():
    learner = Learner()
    learner.send()
    seen = set()
    for _ in range(80):
        for b in learner.buttons():
            if b["payload"].startswith("https://"):
                continue
            match = re.fullmatch(r'/autoformation_module(\{.*\})', b["payload"])
            assert match, b
            assert parse_gesture(json.loads(match.group(1))["formation"]), b
            seen.add(b["title"])
        if learner.state["status"] == "finished":
            break
        if learner.state["screen"] == "question":
            learner.answer(True)
        else:
            learner.click(wording("utter_bouton_la_suite"))
    assert learner.state["status"] == "finished"
    course_titles = {t for _, kind, t, _ in course_texts() if kind == "bouton"}
    domain_titles = {v[0]["text"] for k, v in DOMAIN["responses"].items()
                     if k.startswith("utter_formation_bouton") or k == "utter_bouton_la_suite"}
    assert seen <= course_titles | domain_titles


def test_the_domain_and_rules_wire_the_action():
    assert "action_autoformation_module" in DOMAIN["actions"]
    assert "utter_autoformation_module" not in DOMAIN["responses"]
    entities = [e if isinstance(e, str) else next(iter(e)) for e in DOMAIN["entities"]]
    assert "formation" in entities
    assert DOMAIN["slots"][ACTIVE_SLOT]["influence_conversation"] is True
    assert DOMAIN["slots"][STATE_SLOT]["influence_conversation"] is False
    rules = yaml.safe_load((PROJECT_ROOT / "data" / "stories" / "rules.yml").read_text())["rules"]
    steps = {tuple(tuple(s.items())[0] for s in r["steps"]): r.get("condition") for r in rules}
    assert steps[(("intent", "autoformation_module"), ("action", "action_autoformation_module"))] is None
    assert steps[(("intent", "faq"), ("action", "utter_faq"),
                  ("action", "action_autoformation_module"))] == [
        {"slot_was_set": [{ACTIVE_SLOT: True}]}]


# --- the stack scenarios, played here through the action alone --------------------------

SCENARIOS = yaml.safe_load((PROJECT_ROOT / "tests" / "formation_conversations.yml")
                           .read_text(encoding="utf-8"))["conversations"]


@pytest.mark.parametrize("conversation", SCENARIOS, ids=lambda c: c["name"])
def test_the_stack_scenarios_hold_for_the_action(conversation):
    """tests/formation_conversations.yml is for the real trained model (the lead runs it);
    here each turn of the course goes to the action as Rasa would send it (a payload
    with its gesture, a typed message as the intent), and a FAQ turn as the rule does
    (the action after utter_faq, when the course is going on)."""
    learner = Learner()
    for turn in conversation["turns"]:
        user, topic = turn["user"], turn["topic"]
        if topic == TOPIC:
            match = re.fullmatch(r'/autoformation_module(\{.*\})', user)
            gesture = json.loads(match.group(1))["formation"] if match else None
            learner.send(gesture, text=user)
            assert all(m.get("topic") == TOPIC for m in learner.messages if m.get("text"))
        elif learner.slots.get(ACTIVE_SLOT):
            learner.send(intent="faq", text=user)
        else:
            learner.messages = []
        if "says" in turn:
            assert any(turn["says"] in t for t in learner.texts()), (user, learner.texts())
        if "last_says" in turn:
            assert learner.texts()[-1].startswith(turn["last_says"]), (user, learner.texts())


# --- the gateway's side of the contract -------------------------------------------------

def rasa_messages(learner: Learner) -> list[dict]:
    """The turn's messages as the gateway gets them from Rasa's channel: a message
    with a text, and the custom payload as a message of its own."""
    return [{"text": m["text"], "topic": m.get("topic"), "buttons": m.get("buttons")}
            if m.get("text") else {"custom": m["custom"]} for m in learner.messages]


def test_the_gateway_reads_the_course_payload_and_gives_the_state_back():
    from bot.chat.course import course_metadata, course_update
    learner = Learner()
    learner.send()
    learner.click(wording("utter_formation_bouton_passer"))
    update = course_update(rasa_messages(learner))
    assert (update.event, update.step, update.badge_earned) == ("skipped", "recevoir", False)
    # A new session of the same learner, the state stored by the gateway in the metadata.
    other = Learner(metadata={"identity": {"kind": "learner"}, **course_metadata(update.state)})
    other.send("reprendre")
    assert other.texts() == [progress(2, "recevoir") + "\n" + COURSE.step("recevoir").messages[0]]
    # The steps left, then step 1, skipped at first, offered at the end.
    while other.state["status"] != "finished":
        if other.state["screen"] == "question":
            other.answer(True)
        else:
            other.click(wording("utter_bouton_la_suite") if other.state["screen"] != "end"
                        else "Étape 1 : Décrire un badge")
    finished = course_update(rasa_messages(other))
    assert finished.event == "completed" and finished.badge_earned
    assert (finished.score, finished.questions) == (12, 12)


@pytest.mark.parametrize("messages", [
    [], [{"text": "Bonjour"}], [{"custom": {"autre": 1}}],
    [{"custom": {"course": {"event": "inconnu", "state": {}}}}],
    [{"custom": {"course": {"event": "started", "state": "texte"}}}],
    [{"custom": {"course": {"event": "started", "state": {"x": "y" * 10_000}}}}],
])
def test_the_gateway_ignores_what_is_not_a_course_payload(messages):
    from bot.chat.course import course_metadata, course_update
    assert course_update(messages) is None
    assert course_metadata(None) == {}

"""Rasa's tracker store keeps no personal data in clear (issue 24): the rule copied into
rasa_ext (rasa_ext/privacy.py) gives the gateway's results (bot/privacy.py), and the
production topology's store (rasa_ext/tracker_store.py, in Rasa's environment) writes
PostgreSQL rows without the learner's e-mail, phone or name."""

import json
import random
import subprocess
import textwrap

import pytest

import bot.privacy as gateway
import rasa_ext.privacy as in_rasa
from bot.ops.training import RASA_BIN, rasa_env
from bot.settings import PROJECT_ROOT
from rasa_ext.stores import MASKING_SQL_STORE, endpoints_file
from tests.helpers.services import INSTALL_HINT, postgres_bin, postgres_server

EMAIL, PHONE, NAME = "lea.martin+badges@exemple-caen.fr", "06 12 34 56 78", "Léa Martin"
SAMPLES = [
    "", "bonjour", f"mon adresse est {EMAIL}", f"appelez-moi au {PHONE} ou au +33 6 12 34 56 78",
    "je m'appelle lea", "Je m’appelle Léa Martin et j'ai 3 badges", "mon nom de famille est Dupont",
    "mon prénom c'est Zoé", "LEA MARTIN a un badge ?", "léa, lea, LÉA, Lea-Martin",
    "le 12/03/2024 à 10 h", "code 75001, tél. 0231000000, dossier 12 34", "a@b.c x@y",
    "Je me nomme Jean-Pierre Élan", "martin@exemple.org et martine", "Badge n° 2024 12 12 12",
]
NAMES = [[], [NAME], ["Jean-Pierre Élan"], [None, " ", "Zoé"], ["Al"]]


def random_texts(count: int, seed: int = 24) -> list[str]:
    """Texts made of pieces that the rules look for, in random order."""
    pieces = ["je m'appelle ", "mon nom est ", "Léa", "lea", "MARTIN", "Martin", "@", ".", "-",
              "+33", " ", "06", "12", "34", "56", "78", "exemple", ".fr", "badge", "é", "’",
              "\n", "(", ")", "0", "9", "c'est ", "Zoé", "_", "ï"]
    rng = random.Random(seed)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 25))) for _ in range(count)]


def test_rasa_ext_masks_as_the_gateway_does():
    for name in ("EMAIL", "PHONE", "NAME_PHRASE"):
        assert getattr(in_rasa, name).pattern == getattr(gateway, name).pattern
    assert (in_rasa.EMAIL_MASK, in_rasa.PHONE_MASK, in_rasa.NAME_MASK) == (
        gateway.EMAIL_MASK, gateway.PHONE_MASK, gateway.NAME_MASK)
    texts = SAMPLES + random_texts(3000)
    for text in texts:
        for names in NAMES:
            assert in_rasa.mask_personal_data(text, names) == gateway.mask_personal_data(text, names)
            assert in_rasa.mask_names(text, names) == gateway.mask_names(text, names)
    # The samples are masked at all (the comparison is not of two no-ops).
    masked = gateway.mask_personal_data(" ".join(SAMPLES), [NAME])
    assert EMAIL not in masked and PHONE not in masked and "Léa" not in masked


# What runs in Rasa's environment: Rasa's own endpoint reading and tracker store factory,
# one conversation turn as Rasa 3.6 records it, saved, read back; prints what it saw.
IN_RASA = textwrap.dedent(r'''
    import asyncio, json, sys
    from rasa.core.tracker_store import TrackerStore
    from rasa.core.utils import AvailableEndpoints
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import (ActionExecuted, BotUttered, SessionStarted, SlotSet,
                                         UserUttered)

    email, phone, name = sys.argv[2:5]
    endpoints = AvailableEndpoints.read_endpoints(sys.argv[1])
    domain = Domain.from_yaml("version: '3.1'\nslots:\n  badges_vus:\n    type: float\n"
                              "    mappings: [{type: custom}]\n")
    store = TrackerStore.create(endpoints.tracker_store, domain)
    inner = getattr(store, "_tracker_store", store)
    inner = getattr(inner, "_tracker_store", inner)
    metadata = {"identity": {"kind": "learner", "email": email, "name": name,
                             "source": "site:test"}}
    text = f"Bonjour, je m'appelle {name}, mon adresse est {email}, mon numéro {phone}"
    parse = {"text": text, "intent": {"name": "mes_badges", "confidence": 0.9},
             "entities": [{"entity": "email", "value": email, "start": 40, "end": 60}]}

    async def main():
        tracker = await store.get_or_create_tracker("conversation-1")
        for event in [ActionExecuted("action_session_start"), SessionStarted(),
                      SlotSet("session_started_metadata", metadata),
                      ActionExecuted("action_listen"),
                      UserUttered(text, parse_data=parse, metadata=metadata),
                      ActionExecuted("action_mes_badges"),
                      BotUttered(f"{name.split()[0]}, voici vos badges.",
                                 metadata={"utter_action": "utter_mes_badges"}),
                      SlotSet("badges_vus", 2.0)]:
            tracker.update(event)
        await store.save(tracker)
        # The tracker in memory is the one the turn's actions read: untouched.
        kept = tracker.latest_message.metadata["identity"]["email"] == email
        again = await store.retrieve("conversation-1")
        print(json.dumps({"store": type(inner).__module__ + "." + type(inner).__name__,
                          "kept_in_memory": kept,
                          "read_back": [e.as_dict() for e in again.events]}))

    asyncio.run(main())
''')


@pytest.mark.services
@pytest.mark.rasa_env
def test_the_tracker_store_in_postgresql_keeps_no_email_phone_or_name(tmp_path):
    if postgres_bin() is None:
        pytest.skip(f"PostgreSQL is not installed: {INSTALL_HINT}")
    if not RASA_BIN.exists():
        pytest.skip("Rasa's environment is missing (scripts/setup.sh)")
    with postgres_server() as postgres:
        postgres.create_database("rasa")
        # The endpoints file that `bagou run` writes for the production topology.
        path, secrets = endpoints_file(postgres.url("rasa"), "", tmp_path)
        assert f"type: {MASKING_SQL_STORE}" in path.read_text()
        done = subprocess.run(
            [str(RASA_BIN.parent / "python"), "-c", IN_RASA, str(path), EMAIL, PHONE, NAME],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
            env=rasa_env(**secrets, BAGOU_ACTIONS_URL="http://127.0.0.1:1",
                         BAGOU_ACTIONS_TOKEN="x"))
        assert done.returncode == 0, done.stderr[-3000:]
        seen = json.loads(done.stdout.strip().splitlines()[-1])
        with postgres.connect("rasa") as db:
            rows = [data for (data,) in db.execute("SELECT data FROM events ORDER BY id")]

    assert seen["store"] == MASKING_SQL_STORE  # Rasa's factory loaded it (no fallback)
    assert seen["kept_in_memory"]
    events = [json.loads(row) for row in rows]  # the rows escape accents: decoded
    assert len(events) == 9  # with the action_listen that a new tracker starts with
    stored = json.dumps(events, ensure_ascii=False)
    read_back = json.dumps(seen["read_back"], ensure_ascii=False)
    for clear in (EMAIL, PHONE, "Léa", "Martin", "lea.martin"):
        assert clear not in stored and clear not in read_back
    user = next(e for e in events if e["event"] == "user")
    assert user["text"] == gateway.mask_personal_data(
        f"Bonjour, je m'appelle {NAME}, mon adresse est {EMAIL}, mon numéro {PHONE}", [NAME])
    assert user["metadata"]["identity"] == {"kind": "learner", "email": gateway.EMAIL_MASK,
                                            "name": gateway.NAME_MASK, "source": "site:test"}
    assert user["parse_data"]["intent"]["name"] == "mes_badges"
    assert user["parse_data"]["entities"][0]["value"] == gateway.EMAIL_MASK
    (slot,) = [e for e in events if e.get("name") == "session_started_metadata"]
    assert slot["value"]["identity"]["email"] == gateway.EMAIL_MASK
    bot = next(e for e in events if e["event"] == "bot")
    assert bot["text"] == f"{gateway.NAME_MASK}, voici vos badges."
    assert bot["metadata"] == {"utter_action": "utter_mes_badges"}

"""Bagou's gateway: the FastAPI app between the browser and Rasa.

Read it top-down; a module imports only what is below it.

    app.py           create_app(settings): builds the services, the routes, the middlewares
    ops/             the `bagou` command, the supervisor of `bagou run`, training, evaluation
    ─ the edges: routes and pages ─────────────────────────────────────────────────────
    api/             widget files, history and feedback, /api/verify, the OpenAPI document
    console/         /conseiller: the advisers' and content editors' console
    lti/             /lti: Bagou as an LTI 1.3 tool of Moodle
    obf_sandbox/     /obf-sandbox: an OBF-compatible API with demo data
    web/             the demo site's static pages
    http/            pure ASGI middlewares: security headers, body size, rate limits
    ─ the work ────────────────────────────────────────────────────────────────────────
    chat/            one chat turn: service, identity, topics, Rasa client
    verify/          checking an Open Badge (a library: no route, no chat)
    obf/             the Open Badge Factory client (v2, v1) and the next badges (parcours)
    db/              the engine, the models by domain, the Alembic migrations
    ─ the ground ──────────────────────────────────────────────────────────────────────
    schemas.py       the API's shapes   errors.py   the one error shape (FALC)
    settings.py      BAGOU_* settings   texts.py    French texts, dates, accent folding
    privacy.py       masking of personal data, normal_email   log_safety.py   no secret in logs
    hashing.py       argon2id for secrets   templates.py   the one HTML template engine
    pictograms.py    the themes' pictograms (OpenMoji)   yaml_files.py   reading YAML (libyaml)
tests/test_layers.py checks, from the imports, that no package imports one above it.

Beside this package: actions/ (the action server), rasa_ext/ (code that runs inside Rasa,
its stores too) and falc/ (the FALC checker, with its own `[falc]` extra).
"""

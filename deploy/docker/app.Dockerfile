# syntax=docker/dockerfile:1
# Bagou's own code on Python 3.11, from requirements/app.lock: one image, two commands.
#   gateway        (default) uvicorn bot.app:create_app on :8000
#   action server  python -m actions.server --port 5055 (rasa-sdk, after the log filter)
# and the one-off jobs: python /opt/bagou/migrate.py, bagou purge, bagou user add …
#
# Build from the root of the repository:
#   docker build -f deploy/docker/app.Dockerfile -t bagou-app:TAG .
# What enters the context is listed in app.Dockerfile.dockerignore (BuildKit).
#
# Why not FROM rasa/rasa-sdk for the action server: the image that matches Rasa 3.6
# (rasa/rasa-sdk:3.6.x) is Python 3.10 with rasa-sdk 3.6, and our actions import the
# gateway's package (pydantic 2, SQLAlchemy 2, Python 3.11+) and pin rasa-sdk 3.21.1,
# the version that tests/test_stack.py proves against Rasa 3.6.21. Later rasa-sdk
# images would still need our whole environment installed on top; one image built from
# our lock is smaller to reason about, and the gateway and the actions share it.
#
# Base images are pinned to a patch release; pin their digest too when you first build
# (`docker buildx imagetools inspect python:3.11.14-slim-bookworm`), and bump on purpose.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# ---- the environment: the runtime packages of pyproject.toml, at the lock's versions --
FROM ${PYTHON_IMAGE} AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /build
COPY pyproject.toml ./
COPY requirements/app.lock requirements/app.lock
COPY deploy/docker/check_lock.py /tmp/check_lock.py
# requirements/app.lock also pins the test tools (pytest, Playwright and its driver …),
# which have no place in a production image. So pip installs the `dependencies` of
# pyproject.toml (not the [test] extra) with the lock as constraints: every package at
# the lock's version, nothing resolved anew. check_lock.py then fails the build if any
# installed package is missing from the lock or at another version.
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
      > /tmp/runtime.txt \
 && pip install --quiet --upgrade "pip<27" \
 && pip install --quiet -r /tmp/runtime.txt --constraint requirements/app.lock \
 && pip check \
 && python /tmp/check_lock.py requirements/app.lock --subset

# ---- runtime ------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="bagou-app" \
      org.opencontainers.image.description="Bagou's gateway and action server"
RUN groupadd --system --gid 10001 bagou \
 && useradd --system --uid 10001 --gid bagou --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin bagou
COPY --from=deps /opt/venv /opt/venv
# The code runs from /app (the project's layout: bot/settings.py finds topics.yml,
# parcours.yml, texts/ and widget/ next to bot/), importable through PYTHONPATH; it
# is not pip-installed, so `bagou` is a two-line wrapper around `python -m bot.ops.cli`.
WORKDIR /app
COPY bot bot
COPY actions actions
# The launcher's Rasa store settings (rasa_ext/stores.py, stdlib + PyYAML) and the
# glossary reader of the FALC package (falc/glossary.py, for action_definition_mot);
# the rest of falc/ needs the [falc] extra, which this image does not install.
COPY rasa_ext/__init__.py rasa_ext/stores.py rasa_ext/
COPY falc falc
COPY widget widget
# The French texts of the gateway, the console, the badge check and the widget.
COPY texts texts
# The course in the chat (formation/): the action server and the console's dashboard read it.
COPY formation formation
COPY topics.yml parcours.yml glossaire.yml lieux.yml ./
COPY deploy/docker/healthcheck.py deploy/docker/migrate.py deploy/docker/purge_rasa_tracker.py /opt/bagou/
RUN printf '#!/bin/sh\nexec python -m bot.ops.cli "$@"\n' > /opt/venv/bin/bagou \
 && chmod 0755 /opt/venv/bin/bagou \
 && python -m compileall -q /app/bot /app/actions /app/rasa_ext /app/falc /opt/bagou
# Files belong to root and are read-only for the process; the root file system is
# read-only in docker-compose.yml and Kubernetes, /tmp is the only place it may write.
# BAGOU_SECRET_KEY must then be set (else the gateway would write var/secret.key), and
# the LTI keys are mounted read-only at BAGOU_LTI_KEY_DIR.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    BAGOU_HOST=0.0.0.0 \
    BAGOU_PORT=8000 \
    BAGOU_LTI_KEY_DIR=/etc/bagou/lti \
    HEALTHCHECK_URL=http://127.0.0.1:8000/health
USER 10001:10001
EXPOSE 8000 5055
# The gateway's /health is 200 while Bagou can answer (every part, or some Rasa
# instances down), 503 when it cannot. The action server's container sets
# HEALTHCHECK_URL=http://127.0.0.1:5055/health.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "/opt/bagou/healthcheck.py"]
# --proxy-headers: behind a reverse proxy, the client's address comes from
# X-Forwarded-For, trusted only from FORWARDED_ALLOW_IPS (uvicorn's variable, default
# 127.0.0.1): the console's per-address lockout needs the real address.
# --http: uvicorn's httptools protocol with deadlines for slow clients and a cap on
# unfinished heads (bot/http/server_protocol.py).
CMD ["uvicorn", "bot.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", \
     "--no-access-log", "--proxy-headers", "--timeout-keep-alive", "75", \
     "--http", "bot.http.server_protocol:GatewayHttpProtocol"]

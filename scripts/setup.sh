#!/usr/bin/env bash
# Sets up Bagou's two environments from the locks:
#   .venv-rasa  Python 3.10, the Rasa engine (requirements/rasa.lock)
#   .venv       Python 3.11+, the gateway, the actions and the tests (requirements/app.lock)
# Runs again only when a lock (or pyproject.toml) changed since the last setup.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '%s\n' "$*" >&2; }

python_is() {  # python_is CMD MAJOR.MINOR-regex: CMD runs and has that version
  "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null | grep -Eq "^($2)$"
}

find_python310() {
  local candidates=("${BAGOU_PYTHON310:-}" python3.10)
  local pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
  if command -v pyenv >/dev/null 2>&1; then pyenv_root=$(pyenv root); fi
  # pyenv's versions are used directly: its shims may not be on PATH (CI, cron).
  candidates+=("$pyenv_root"/versions/3.10*/bin/python3.10)
  if command -v uv >/dev/null 2>&1; then
    candidates+=("$(uv python find 3.10 2>/dev/null || true)")
  fi
  local c
  for c in "${candidates[@]}"; do
    [ -n "$c" ] && python_is "$c" '3\.10' && { command -v "$c" || echo "$c"; } && return 0
  done
  return 1
}

find_python_app() {
  local c
  for c in "${BAGOU_PYTHON:-}" python3 python3.13 python3.12 python3.11; do
    [ -n "$c" ] && python_is "$c" '3\.(1[1-9])' && { command -v "$c"; return 0; }
  done
  return 1
}

lock_hash() { cat "$@" | sha256sum | cut -d' ' -f1; }

# setup_env DIR PYTHON STAMP-INPUTS... -- INSTALL-COMMAND...
setup_env() {
  local dir=$1 python=$2; shift 2
  local inputs=() ; while [ "$1" != "--" ]; do inputs+=("$1"); shift; done; shift
  local want; want=$(lock_hash "${inputs[@]}")
  if [ -f "$dir/.bagou-lock" ] && [ "$(cat "$dir/.bagou-lock")" = "$want" ] \
     && [ -x "$dir/bin/python" ]; then
    return 0
  fi
  say "Installation de $dir (quelques minutes la première fois)…"
  [ -x "$dir/bin/python" ] || "$python" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip<27"
  "$@"
  "$dir/bin/python" -m pip check >/dev/null || { "$dir/bin/python" -m pip check; exit 1; }
  echo "$want" > "$dir/.bagou-lock"
}

PY310=$(find_python310) || {
  say "Python 3.10 est introuvable. Le moteur Rasa 3.6 en a besoin."
  say "Installez-le, par exemple avec « pyenv install 3.10 » ou « uv python install 3.10 »."
  say "Ou donnez son chemin dans la variable BAGOU_PYTHON310. Puis relancez."
  exit 1
}
PYAPP=$(find_python_app) || {
  say "Python 3.11 ou plus récent est introuvable. Installez-le, puis relancez."
  say "Ou donnez son chemin dans la variable BAGOU_PYTHON."
  exit 1
}

setup_env .venv-rasa "$PY310" requirements/rasa.lock -- \
  .venv-rasa/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/rasa.lock

# app.lock pins the [falc], [test] and [dev] extras too (scripts/lock.sh), so the FALC checker's
# spaCy and French model come with it.
setup_env .venv "$PYAPP" requirements/app.lock pyproject.toml -- \
  sh -c '.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/app.lock &&
         .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e ".[falc]"'

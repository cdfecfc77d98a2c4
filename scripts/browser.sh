#!/usr/bin/env bash
# Installs the browser of the widget's tests (tests/test_widget.py): Debian's Chromium,
# driven headless by Playwright with executable_path. Playwright's own browser download
# cannot work on this project's machines, so it is never used.
# Does nothing when Chromium is there; run again safely.
set -euo pipefail

CHROMIUM=${BAGOU_CHROMIUM:-/usr/bin/chromium}

if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium manque : les tests du widget en ont besoin ($CHROMIUM)." >&2
  echo "Installez-le avec : sudo apt-get install -y chromium" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Chromium manque et apt-get est absent : installez Chromium pour que $CHROMIUM existe." >&2
  exit 1
fi
echo "Installation de Chromium pour les tests du widget…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
echo "Chromium est installé : $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")" >&2

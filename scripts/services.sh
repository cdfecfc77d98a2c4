#!/usr/bin/env bash
# Installs the servers of the production-topology test (tests/test_topology.py):
# Debian's PostgreSQL (Rasa's tracker store, the gateway's database) and Redis (Rasa's
# lock store). The test starts its own throwaway instances on loopback; the packages'
# own services are not used. Does nothing when both are there; run again safely.
set -euo pipefail

have_postgres() { compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; }
have_redis() { command -v redis-server >/dev/null 2>&1; }

if have_postgres && have_redis; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "PostgreSQL ou Redis manque : le test de la topologie de production en a besoin." >&2
  echo "Installez-les avec : sudo apt-get install -y postgresql redis-server" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "PostgreSQL ou Redis manque et apt-get est absent : installez postgresql et redis-server." >&2
  exit 1
fi
echo "Installation de PostgreSQL et Redis pour le test de la topologie de production…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql redis-server >/dev/null
echo "PostgreSQL et Redis sont installés." >&2

#!/bin/sh
# Runs once, when the PostgreSQL volume is created (docker-entrypoint-initdb.d):
# one server, two databases, two roles that own nothing else.
#   bagou  the gateway's database (BAGOU_DATABASE_URL; its schema comes from Alembic)
#   rasa   Rasa's tracker store (BAGOU_RASA_TRACKER_URL; Rasa creates its table)
# Passwords come from the container's environment (deploy/.env); psql reads them with
# \getenv (psql 15+), so they never appear on a command line. To change one later:
# ALTER ROLE … PASSWORD '…', then the URLs in deploy/.env.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<'SQL'
\getenv bagou_password BAGOU_DB_PASSWORD
\getenv rasa_password BAGOU_RASA_DB_PASSWORD
CREATE ROLE bagou LOGIN PASSWORD :'bagou_password';
CREATE ROLE rasa LOGIN PASSWORD :'rasa_password';
CREATE DATABASE bagou OWNER bagou;
CREATE DATABASE rasa OWNER rasa;
REVOKE ALL ON DATABASE bagou FROM PUBLIC;
REVOKE ALL ON DATABASE rasa FROM PUBLIC;
SQL

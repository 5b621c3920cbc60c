#!/usr/bin/env bash
# Serve hosting_app in production: gunicorn on ${HOST:-127.0.0.1}:${PORT:-8000}, behind a reverse
# proxy (HTTPS). Migrate first (hosting-app db upgrade); see README « Production ».
#   DATABASE_URL           PostgreSQL + PostGIS (without it: the embedded cluster in instance/)
#   WEB_CONCURRENCY        gunicorn workers (default 2 × CPUs + 1)
#   RATELIMIT_STORAGE_URI  rate-limit counters shared by the workers, e.g. redis://127.0.0.1:6379
#   SECRET_KEY             the same on every instance
#   TOTP_KEYS              the same on every instance (seal the two-factor secrets)
# Extra arguments go to gunicorn.
set -euo pipefail
cd "$(dirname "$0")/.."

cpus=$(nproc 2>/dev/null || echo 1)
workers=${WEB_CONCURRENCY:-$((2 * cpus + 1))}

if [ -z "${RATELIMIT_STORAGE_URI:-}" ] && [ "$workers" -gt 1 ]; then
  echo "Attention : sans RATELIMIT_STORAGE_URI (redis://…), chaque worker compte ses propres" \
    "limites de demandes." >&2
fi
if [ -z "${SECRET_KEY:-}" ]; then
  echo "Attention : sans SECRET_KEY, la clé de instance/secret_key ne vaut que pour cette" \
    "machine." >&2
fi
if [ -z "${TOTP_KEYS:-}" ]; then
  echo "Attention : sans TOTP_KEYS, la clé de instance/totp_key ne vaut que pour cette" \
    "machine (double authentification)." >&2
fi

# --preload: create_app runs once, in the master, before the workers fork. It opens no
# database connection (the pool is empty when the workers inherit it); it makes the instance
# secret key and, without DATABASE_URL, starts the embedded cluster once instead of once per
# worker. Code changes then need a restart, not a HUP.
exec .venv/bin/gunicorn "hosting_app:create_app()" \
  --bind "${HOST:-127.0.0.1}:${PORT:-8000}" \
  --workers "$workers" \
  --preload \
  --timeout "${GUNICORN_TIMEOUT:-30}" \
  --graceful-timeout 30 \
  --keep-alive 5 \
  --access-logfile - \
  --no-control-socket \
  "$@"

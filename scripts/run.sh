#!/usr/bin/env bash
# Set everything up and run hosting_app at http://127.0.0.1:5000
# (on the embedded PostgreSQL/PostGIS cluster in instance/ unless DATABASE_URL is set).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/hosting-app db upgrade
.venv/bin/hosting-app seed
echo "hosting_app : http://127.0.0.1:${PORT:-5000}"
exec .venv/bin/hosting-app run --host 127.0.0.1 --port "${PORT:-5000}" "$@"

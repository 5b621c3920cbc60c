#!/usr/bin/env bash
# Set everything up and run the whole test suite (real PostGIS, real headless Chromium).
# TEST_DATABASE_URL selects a PostgreSQL server; without it the embedded cluster is used.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"

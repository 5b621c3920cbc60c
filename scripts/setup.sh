#!/usr/bin/env bash
# Install what hosting_app needs on a Debian/Ubuntu machine; safe to run again.
#   scripts/setup.sh          the app (PostgreSQL + PostGIS, Python packages, front-end files)
#   scripts/setup.sh --test   also Chromium and the test tools
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TESTS=0
[ "${1:-}" = "--test" ] && WITH_TESTS=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "Need root to run: $*" >&2; exit 1
  fi
}

# --- Debian packages -------------------------------------------------------
pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
PG_MAJOR=$(basename "$(dirname "$(pg_bindir)")" 2>/dev/null || true)
[ -n "$PG_MAJOR" ] && [ "$PG_MAJOR" != "." ] || PG_MAJOR=15

packages=()
[ -x "/usr/lib/postgresql/$PG_MAJOR/bin/initdb" ] || packages+=("postgresql-$PG_MAJOR")
[ -f "/usr/share/postgresql/$PG_MAJOR/extension/postgis.control" ] \
  || packages+=("postgresql-$PG_MAJOR-postgis-3")
python3 -c 'import venv, ensurepip' 2>/dev/null || packages+=(python3-venv)
command -v npm >/dev/null || packages+=(nodejs npm)
if [ "$WITH_TESTS" -eq 1 ]; then
  command -v chromium >/dev/null || [ -n "${CHROMIUM_PATH:-}" ] || packages+=(chromium)
fi
if [ "${#packages[@]}" -gt 0 ]; then
  say "Installing Debian packages: ${packages[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${packages[@]}"
fi

# --- Python ------------------------------------------------------------------
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "Python 3.11 or newer is needed (set PYTHON=...)." >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  say "Creating the virtual environment .venv"
  "$PYTHON" -m venv .venv
fi
say "Installing the Python packages"
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "$WITH_TESTS" -eq 1 ]; then
  .venv/bin/python -m pip install --quiet -e '.[test]'
else
  .venv/bin/python -m pip install --quiet -e .
fi

# --- Front-end files (served by the app, no CDN) -----------------------------
say "Installing the front-end packages"
npm ci --no-audit --no-fund --loglevel=error

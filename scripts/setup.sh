#!/usr/bin/env bash
# Install what hosting_app needs on a Debian/Ubuntu machine; safe to run again.
#   scripts/setup.sh          the app (PostgreSQL + PostGIS, Python packages, front-end files)
#   scripts/setup.sh --test   also Chromium and the test tools
#   scripts/setup.sh --bench  also wrk, for the load test (bench/load.py)
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TESTS=0
WITH_BENCH=0
for arg in "$@"; do
  case "$arg" in
    --test) WITH_TESTS=1 ;;
    --bench) WITH_BENCH=1 ;;
  esac
done

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
# WeasyPrint (PDF exports) needs Pango and HarfBuzz's subsetter; the print stylesheet is set in
# Liberation Sans (metric-compatible with Arial), DejaVu Sans as the fallback.
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || packages+=("$pkg")
done
if [ "$WITH_TESTS" -eq 1 ]; then
  command -v chromium >/dev/null || [ -n "${CHROMIUM_PATH:-}" ] || packages+=(chromium)
fi
if [ "$WITH_BENCH" -eq 1 ]; then
  command -v wrk >/dev/null || packages+=(wrk)
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

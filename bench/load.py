"""Load test through gunicorn with wrk: public search, map, site page and the CRM API.

    .venv/bin/python -m bench.load [--duration 30] [--connections 50] [--workers N]
                                   [--premises 100000] [--firms 20000] [--write] [--drop]
                                   [--api-cache redis|off] [--only search,…] [--keep-alive]

Runs on BENCH_DATABASE_URL (created when missing), or on database ``hosting_app_bench`` of the
embedded cluster. Prepares it with the app's own commands (``hosting-app db upgrade``,
``seed --no-demo``, ``firms import`` of synthetic firms, ``users create`` / ``users token``
for a developer account) and the synthetic territory of bench/generate.py, then starts
``scripts/serve.sh`` (gunicorn, rate limits in Redis when one answers on 127.0.0.1:6379, and
the public API's response cache there too unless ``--api-cache off``) on a free port of
127.0.0.1 and runs one bounded wrk load per scenario: N connections for D seconds, 127.0.0.1
only, each load stops by itself and gunicorn is stopped at the end. ``--only`` picks
scenarios by key (search, searches, tiles, bbox, page, site, match). Requests say ``Connection:
close`` as a reverse proxy's do (``--keep-alive``: wrk's own persistent connections, which
gunicorn's sync workers do not keep).
Requests/s, latency percentiles and errors (socket errors, timeouts, answers other than 200)
are printed; ``--write`` appends them to BENCHMARKS.md, ``--drop`` drops BENCH_DATABASE_URL's
database at the end. Needs wrk (``scripts/setup.sh --bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import sqlalchemy as sa
from psycopg import sql

from bench import firm_names
from bench.run import REPO, database_url, machine, viewport_tiles
from hosting_app.auth.tokens import PREFIX_LENGTH

HOSTING_APP = str(REPO / ".venv" / "bin" / "hosting-app")
EMAIL = "mesure.charge@example.fr"
FIRMS_START = 60_000_000  # SIREN index range of these firms (bench.crm uses 0–59,999,999)
MAP_FILTERS = "kind=office&kind=workshop"
WRK = shutil.which("wrk")


@dataclass
class Scenario:
    """One load: a name and the requests sent in turn (method, path, JSON body or None)."""

    key: str
    name: str
    requests: list[tuple[str, str, str | None]]
    bearer: bool = False


@dataclass
class Result:
    """What wrk measured for one scenario."""

    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    socket_errors: int
    timeouts: int
    not_ok: int
    cpu_seconds: float = 0.0  # gunicorn's processes and wrk's, during the load

    @property
    def cpu_ms(self) -> float:
        """CPU time per request (gunicorn and wrk; not PostgreSQL nor Redis), in ms."""
        return self.cpu_seconds / max(self.requests, 1) * 1000

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds

    @property
    def errors(self) -> int:
        """Every request that did not get a 200."""
        return self.socket_errors + self.timeouts + self.not_ok


def dsn(url: str) -> str:
    """The URL as libpq reads it (no SQLAlchemy driver name)."""
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_database(url: str) -> None:
    """Create the database of ``url`` on its server when it does not exist."""
    target = sa.make_url(url)
    with psycopg.connect(dsn(str(target.set(database="postgres"))), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (target.database,)
        ).fetchone()
        if not exists:
            print(f"Création de la base {target.database}…", flush=True)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target.database)))


def drop_database(url: str) -> None:
    """Drop the database of ``url`` (BENCH_DATABASE_URL only)."""
    target = sa.make_url(url)
    with psycopg.connect(dsn(str(target.set(database="postgres"))), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(target.database)
            )
        )


def app_command(url: str, *args: str, check: bool = True) -> str:
    """Run ``hosting-app ARGS`` on the benchmark database; its output."""
    result = subprocess.run(  # noqa: S603 - the app's own command
        [HOSTING_APP, *args], env={**os.environ, "DATABASE_URL": url},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if check and result.returncode != 0:
        raise SystemExit(f"hosting-app {' '.join(args)} : {result.stdout}{result.stderr}")
    return result.stdout


def prepare(url: str, *, sites: int, premises: int, firms: int) -> None:
    """Migrate, seed and fill the database."""
    print("Migrations et données de référence…", flush=True)
    app_command(url, "db", "upgrade")
    app_command(url, "seed", "--no-demo")
    print(f"Territoire synthétique : {sites} sites, {premises:,} locaux…", flush=True)
    subprocess.run(  # noqa: S603 - this project's generator
        [sys.executable, "-m", "bench.generate", "--sites", str(sites), "--premises", str(premises)],
        env={**os.environ, "DATABASE_URL": url}, cwd=REPO, check=True,
    )  # fmt: skip
    print(f"Import de {firms:,} entreprises…", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        path = Path(folder) / "firms.csv"
        firm_names.write_csv(
            path, firm_names.firms(firms, seed=7, start=FIRMS_START), kind="project", seed=7
        )
        app_command(url, "firms", "import", str(path))
    with psycopg.connect(dsn(url), autocommit=True) as conn:
        for table in ("premises", "site", "firm"):
            conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))


def api_token(url: str) -> str:
    """A new API token (one day) of the developer account, created when missing."""
    password = secrets.token_urlsafe(18)
    app_command(url, "users", "create", "--email", EMAIL, "--organisation", "epa_senart",
                "--role", "developer", "--password", password, check=False)  # fmt: skip
    output = app_command(
        url, "users", "token", EMAIL, "--name", "bench.load", "--expires-days", "1"
    )
    return next(line for line in output.splitlines() if line.startswith("hap_"))


def scenarios(url: str) -> list[Scenario]:
    """The loads, on data read from the benchmark database."""
    with psycopg.connect(dsn(url)) as conn:
        names = [
            row[0] for row in conn.execute(
                "SELECT name FROM firm WHERE name_normalised IS NOT NULL ORDER BY id LIMIT 20"
            )
        ]  # fmt: skip
    bodies = [json.dumps({"name": name.replace("Société", "Ste")}) for name in names]
    bodies += [json.dumps({"name": "Menuiserie Dupont", "postcode": "77127"})]
    searches = [
        ("GET", f"/api/premises?kind={kind}&max_rent={rent}", None)
        for kind in ("office", "workshop", "warehouse", "mixed", "desk")
        for rent in range(80, 200, 6)
    ]
    tiles = [
        ("GET", f"/api/tiles/premises/{z}/{x}/{y}.pbf?{MAP_FILTERS}", None)
        for zoom in (12, 14)
        for z, x, y in viewport_tiles(zoom)
    ]
    return [
        Scenario("search", "public search API: offices ≤ 150 €/m²/yr in CAMVS (`/api/premises`)", [
            ("GET", "/api/premises?kind=office&max_rent=150&intercommunality=camvs", None)
        ]),
        Scenario("search", "public search API: workshops 200–400 m² within 10 km of Lieusaint", [
            ("GET", "/api/premises?kind=workshop&surface_min=200&surface_max=400"
                    "&near=77251&radius_km=10&sort=distance", None)
        ]),
        Scenario("searches", f"public search API: {len(searches)} different searches in turn "
                             "(kind × maximum rent)", searches),
        Scenario("tiles", f"map data: the viewport's {len(tiles)} vector tiles at zooms 12 and "
                          "14 in turn (what the map fetches)", tiles),
        Scenario("bbox", "map data by bbox, compact rows up to 5,000 (`/api/premises`)", [
            ("GET", f"/api/premises?{MAP_FILTERS}&format=rows&per_page=5000"
                    "&bbox=2.50,48.58,2.62,48.66", None)
        ]),
        Scenario("page", f"map page `/locaux?{MAP_FILTERS}` (vector tiles above 10,000)", [
            ("GET", f"/locaux?{MAP_FILTERS}", None)
        ]),
        Scenario("site", "site page `/sites/bench-site-1`", [
            ("GET", "/sites/bench-site-1", None)
        ]),
        Scenario(
            "match",
            f"CRM API `POST /api/firms/match` (Bearer token, {len(bodies)} names in turn)",
            [("POST", "/api/firms/match", body) for body in bodies], bearer=True,
        ),
    ]  # fmt: skip


def _lua_string(text: str) -> str:
    assert "]==]" not in text
    return f"[==[{text}]==]"


def wrk_script(scenario: Scenario, token: str, keep_alive: bool = False) -> str:
    """A wrk script sending the scenario's requests in turn and printing its figures as JSON.

    Without ``keep_alive`` each request says ``Connection: close``, as a reverse proxy in
    front of gunicorn does by default (nginx speaks HTTP/1.0 to its upstreams): gunicorn's
    sync workers close the connection after each answer anyway, and a client that expects to
    keep it open waits for its reconnections.
    """
    headers = {"Accept": "application/json"}
    if not keep_alive:
        headers["Connection"] = "close"
    if scenario.bearer:
        headers["Authorization"] = f"Bearer {token}"
    lua_headers = ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items())
    formatted = []
    for method, path, body in scenario.requests:
        extra = ', ["Content-Type"] = "application/json"' if body else ""
        body_text = _lua_string(body) if body else "nil"
        formatted.append(
            f"wrk.format({_lua_string(method)}, {_lua_string(path)}, "
            f"{{{lua_headers}{extra}}}, {body_text})"
        )
    return f"""
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args)
  not_ok = 0
  counter = 0
  prepared = {{ {", ".join(formatted)} }}
end
function request()
  counter = counter + 1
  return prepared[(counter % #prepared) + 1]
end
function response(status, headers, body)
  if status ~= 200 then not_ok = not_ok + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("not_ok") end
  local e = summary.errors
  io.write(string.format(
    'WRK {{"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, '
    .. '"socket_errors": %d, "timeouts": %d, "not_ok": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write, e.timeout, bad))
end
"""


def group_cpu_seconds(pgid: int) -> float:
    """User and system CPU time of the live processes of a process group (Linux /proc)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == pgid:  # pgrp; utime and stime follow at 11 and 12
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def run_wrk(
    base: str, scenario: Scenario, token: str, args: argparse.Namespace, server_pgid: int
) -> Result:
    """One bounded load of the scenario."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(wrk_script(scenario, token, args.keep_alive))
    server_before = group_cpu_seconds(server_pgid)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_before = children.ru_utime + children.ru_stime
    try:
        result = subprocess.run(  # noqa: S603 - wrk on a local URL
            [WRK, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
             "--timeout", "10s", "-s", script.name, base + scenario.requests[0][1]],
            capture_output=True, text=True, timeout=args.duration + 60, check=True,
        )  # fmt: skip
    finally:
        os.unlink(script.name)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = group_cpu_seconds(server_pgid) - server_before
    cpu += children.ru_utime + children.ru_stime - wrk_before
    line = next((line for line in result.stdout.splitlines() if line.startswith("WRK ")), None)
    if line is None:
        raise SystemExit(f"wrk n'a pas rendu ses mesures : {result.stdout}{result.stderr}")
    data = json.loads(line.removeprefix("WRK "))
    return Result(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50"] / 1000,
        p95_ms=data["p95"] / 1000,
        p99_ms=data["p99"] / 1000,
        socket_errors=data["socket_errors"],
        timeouts=data["timeouts"],
        not_ok=data["not_ok"],
        cpu_seconds=cpu,
    )


def free_port() -> int:
    """A TCP port free on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_answers() -> bool:
    """Whether a Redis server listens on 127.0.0.1:6379."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def wait_healthy(base: str, process: subprocess.Popen, seconds: float = 60) -> None:
    """Wait until /healthz answers 200."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn n'a pas répondu sur /healthz.")


def stop(process: subprocess.Popen) -> None:
    """Stop gunicorn (SIGTERM to its master, then SIGKILL to its group if it lingers)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def server_problems(log: str) -> list[str]:
    """The lines of gunicorn's log that tell of a failure (errors, worker timeouts, 5xx)."""
    return [
        line for line in log.splitlines()
        if "[ERROR]" in line or "[CRITICAL]" in line or "WORKER TIMEOUT" in line
        or re.search(r'" 5\d\d ', line)
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=30, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default 2 × CPUs + 1)")
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--premises", type=int, default=100_000)
    parser.add_argument("--firms", type=int, default=20_000)
    parser.add_argument("--reuse", action="store_true", help="keep the data of a previous run")
    parser.add_argument("--write", action="store_true", help="append the figures to BENCHMARKS.md")
    parser.add_argument("--drop", action="store_true", help="drop BENCH_DATABASE_URL's database")
    parser.add_argument(
        "--api-cache", choices=("redis", "off"), default="redis",
        help="the public API's response cache (in Redis when one answers), or none",
    )  # fmt: skip
    parser.add_argument("--only", help="scenario keys, comma-separated (default: all)")
    parser.add_argument(
        "--keep-alive", action="store_true",
        help="let wrk keep its connections (default: Connection: close, as a reverse proxy)",
    )  # fmt: skip
    args = parser.parse_args()
    if WRK is None:
        raise SystemExit("wrk est introuvable : lancez scripts/setup.sh --bench.")

    url = database_url()
    if os.environ.get("BENCH_DATABASE_URL"):
        ensure_database(url)
    if not args.reuse:
        prepare(url, sites=args.sites, premises=args.premises, firms=args.firms)
    token = api_token(url)
    with psycopg.connect(dsn(url)) as conn:
        server_version = conn.execute("SHOW server_version").fetchone()[0]
        premises, firms = conn.execute(
            "SELECT (SELECT count(*) FROM premises), (SELECT count(*) FROM firm)"
        ).fetchone()
    workers = args.workers or 2 * (os.cpu_count() or 1) + 1
    redis = redis_answers()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    results: list[tuple[Scenario, Result]] = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "PORT": str(port),
            "WEB_CONCURRENCY": str(workers),
            "SECRET_KEY": secrets.token_urlsafe(32),
            "HOSTING_APP_INSTANCE_PATH": folder,
        }
        if redis:
            env["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379"
        env["API_CACHE"] = "redis" if redis and args.api_cache == "redis" else "off"
        if env["API_CACHE"] == "redis":
            env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
            # This run's own keys: the data was just replaced by plain SQL, unseen by the cache.
            env["API_CACHE_PREFIX"] = f"hosting_app:bench-load:{secrets.token_hex(4)}"
        log = open(Path(folder) / "gunicorn.log", "wb")  # noqa: SIM115 - closed below
        process = subprocess.Popen(  # noqa: S603 - the project's serve script
            [str(REPO / "scripts" / "serve.sh")], env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_healthy(base, process)
            load_before = os.getloadavg()[0]
            chosen = set(args.only.split(",")) if args.only else None
            for scenario in scenarios(url):
                if chosen is not None and scenario.key not in chosen:
                    continue
                print(f"Charge : {scenario.name}…", flush=True)
                results.append((scenario, run_wrk(base, scenario, token, args, process.pid)))
                # The workers still serve the requests queued when wrk stopped: wait for them.
                wait_healthy(base, process)
            load_after = os.getloadavg()[0]
        finally:
            stop(process)
            log.close()
            problems = server_problems((Path(folder) / "gunicorn.log").read_text(errors="replace"))
    if problems:
        print("Erreurs du serveur :\n" + "\n".join(problems[-20:]), file=sys.stderr)
    if args.drop and os.environ.get("BENCH_DATABASE_URL"):
        drop_database(url)
    else:
        app_command(url, "users", "revoke-token", token[:PREFIX_LENGTH])

    wrk_version = subprocess.run([WRK, "-v"], capture_output=True, text=True)  # noqa: S603
    lines = [
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — load test through gunicorn: "
        f"{workers} workers, {args.connections} connections, {args.duration} s per scenario",
        "",
        f"Machine: {machine(server_version)}. Database: {premises:,} premises, {firms:,} firms. "
        f"`scripts/serve.sh` (gunicorn, {workers} sync workers, `--preload`, access log on), "
        f"rate limits in {'Redis' if redis else 'memory'}, "
        + (
            "the public API's response cache in Redis (60 s; each scenario's first requests "
            "miss it, the others are served from it); "
            if env["API_CACHE"] == "redis" else "no response cache (every request queried); "
        )
        + (
            "wrk keeping its connections open (which sync workers close after each answer); "
            if args.keep_alive
            else "every request with `Connection: close`, as a reverse proxy sends them; "
        )
        + "load from wrk "
        f"{wrk_version.stdout.split()[1]} "
        f"({args.threads} threads) on the same machine, 127.0.0.1 only. Load average (1 min) "
        f"{load_before:.1f} before the loads, {load_after:.1f} after"
        + (
            " — the 2 cores are shared with the load generator, PostgreSQL and other sessions' "
            "tests, so these figures are taken under contention."
            if load_before > 1.0 else "."
        ),
        "",
        "| scenario | requests | requests/s | p50 | p95 | p99 | errors | CPU / request |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for scenario, result in results:
        lines.append(
            f"| {scenario.name} | {result.requests:,} | {result.rate:,.0f} | "
            f"{result.p50_ms:.0f} ms | {result.p95_ms:.0f} ms | {result.p99_ms:.0f} ms | "
            f"{result.errors:,} | {result.cpu_ms:.2f} ms |"
        )
    lines += [
        "",
        "Errors: socket errors, timeouts (10 s) and answers other than 200; "
        f"{len(problems)} error lines in gunicorn's log (worker timeouts, 5xx). CPU / request: "
        "the CPU time gunicorn's processes and wrk used during the load, per request answered "
        "(PostgreSQL's and Redis' not included): 2 cores to themselves would serve about "
        "2,000 ms / that many requests per second.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.write:
        path = REPO / "BENCHMARKS.md"
        path.write_text(path.read_text() + "\n" + report)


if __name__ == "__main__":
    main()

"""Run every benchmark at one scale and gather their sections in BENCHMARKS.md.

    .venv/bin/python -m bench.all --scale small|1m [--only run,bbox,…] [--write]

The benchmarks run one after the other, each as its own process (``python -m bench.NAME``,
without ``--write``), on BENCH_DATABASE_URL or the embedded cluster's ``hosting_app_bench``:
``run`` (search API against the raw SQL, the map's vector tiles, map page), ``bbox`` (rows by
bounding box, timed here right after ``run`` on its data; small scale), ``crm`` (duplicate
matching, imports), ``journeys`` (matching, dashboard), ``brochure`` when it exists (on a
database of its own, ``…_brochure`` of BENCH_DATABASE_URL's server) and ``load`` (wrk through
gunicorn). At scale 1m they share one database: ``load`` and ``journeys`` reuse the premises
``run`` made and the firms ``crm`` loaded, so the whole takes about ten minutes here. Their
sections (what each prints from its first ``###`` heading on) go under one dated heading with
the machine, the scale and the issue's targets checked against the figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime

import psycopg
import sqlalchemy as sa

from bench.load import ensure_database
from bench.run import REPO, database_url, machine, percentiles, statements, time_api, time_raw

# Arguments of each benchmark per scale; 1m is the scale (1,000,000 premises and firms).
SCALES: dict[str, dict[str, list[str]]] = {
    "small": {
        "run": ["--sites", "500", "--premises", "100000", "--runs", "30"],
        "bbox": ["--runs", "30"],
        "crm": ["--firms", "50000", "--import-rows", "20000", "--probes", "100", "--runs", "2"],
        "journeys": ["--runs", "20", "--interactions", "100000"],
        "brochure": [],
        "load": ["--sites", "500", "--premises", "100000", "--duration", "10"],
    },
    # One database for all: the load test and the journeys reuse the 1,000,000 premises
    # ``run`` made, the load test the firms ``crm`` loaded; the map's data is timed as
    # vector tiles by ``run`` (the rows by bounding box, which the map no longer loads, at
    # the small scale only).
    "1m": {
        "run": ["--sites", "5000", "--premises", "1000000", "--runs", "50", "--embedded-runs", "3"],
        "crm": ["--firms", "1000000", "--import-rows", "100000", "--runs", "1"],
        "load": ["--reuse", "--duration", "10"],
        "journeys": ["--runs", "50", "--sites", "5000", "--premises", "1000000", "--reuse"],
        "brochure": [],
    },
}
SCALE_TEXT = {  # what each benchmark handles, per scale
    "small": {
        "run": "100,000 premises on 500 sites",
        "crm": "50,000 firms and imports of 20,000 rows (CRM)",
        "journeys": "100,000 interactions (journeys)",
        "brochure": "a brochure of 50 sites",
        "load": "load test 10 s per scenario",
    },
    "1m": {
        "run": "1,000,000 premises on 5,000 sites",
        "crm": "1,000,000 firms and imports of 100,000 rows (CRM)",
        "load": "load test 10 s per scenario on the same premises and firms",
        "journeys": "1,000,000 interactions on the same premises (journeys)",
        "brochure": "a brochure of 50 sites",
    },
}

MAP_FILTERS = "kind=office&kind=workshop"
TERRITORY = "2.40,48.45,2.80,48.70"
COMMUNE = "2.52,48.60,2.59,48.64"
BBOX_REQUESTS = {
    "whole territory, compact rows up to 5,000 (the map's first view)":
        f"{MAP_FILTERS}&format=rows&per_page=5000&bbox={TERRITORY}",
    "a commune's extent (≈ 5 × 4 km), compact rows": f"{MAP_FILTERS}&format=rows&per_page=5000&bbox={COMMUNE}",
    "a commune's extent, GeoJSON": f"{MAP_FILTERS}&per_page=5000&bbox={COMMUNE}",
    "whole territory, GeoJSON, 10,000 features (the API's largest page)":
        f"{MAP_FILTERS}&per_page=10000&bbox={TERRITORY}",
}  # fmt: skip


def run_module(name: str, args: list[str], env: dict[str, str]) -> tuple[str | None, float]:
    """Run ``python -m bench.NAME ARGS``, echoing its output; (its section or None, seconds)."""
    print(f"\n=== bench.{name} {' '.join(args)}", flush=True)
    start = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - this project's benchmarks
        [sys.executable, "-m", f"bench.{name}", *args],
        cwd=REPO, stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    output = []
    assert process.stdout is not None
    for line in process.stdout:
        print(line, end="", flush=True)
        output.append(line)
    status = process.wait()
    seconds = time.perf_counter() - start
    if status != 0:
        print(f"bench.{name} a échoué (code {status}).", file=sys.stderr)
        return None, seconds
    starts = [i for i, line in enumerate(output) if line.startswith("### ")]
    if starts:
        return "".join(output[starts[0] :]).strip(), seconds
    # A benchmark that prints a one-line summary (its section only with --write).
    last = next((line.strip() for line in reversed(output) if line.strip()), "")
    return f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — bench.{name}\n\n{last}", seconds


def module_env(name: str) -> dict[str, str]:
    """The environment of a benchmark: the brochure's needs a database of its own."""
    env = dict(os.environ)
    if name == "brochure" and env.get("BENCH_DATABASE_URL"):
        url = sa.make_url(env["BENCH_DATABASE_URL"])
        env["BENCH_DATABASE_URL"] = url.set(database=f"{url.database}_brochure").render_as_string(
            hide_password=False
        )
        ensure_database(env["BENCH_DATABASE_URL"])
    return env


def bbox_section(runs: int) -> str:
    """Map data by bounding box above 10,000 matching premises: the app against the raw SQL."""
    from werkzeug.datastructures import MultiDict

    from hosting_app import create_app
    from hosting_app.extensions import db
    from hosting_app.sites import filters as search_filters
    from hosting_app.sites import queries

    app = create_app({"DATABASE_URL": database_url()})
    with app.app_context():
        filters, _ = search_filters.parse(MultiDict([("kind", "office"), ("kind", "workshop")]))
        matching = db.session.scalar(queries.premises_count(filters, None))
        total = db.session.scalar(sa.text("SELECT count(*) FROM premises"))
        url = db.engine.url.render_as_string(hide_password=False)
    client = app.test_client()
    lines = [
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — map data by bounding box: {total:,} "
        f"premises, {matching:,} matching `{MAP_FILTERS}`",
        "",
        f"`/api/premises?{MAP_FILTERS}&bbox=…` as the map loads it above `MAP_EMBED_LIMIT` "
        f"(compact rows) and as GeoJSON; {runs} timed runs after 5 warm-up runs, app = Flask "
        "test client, raw = the same SQL by psycopg. Target (issue « Scale and speed »): map "
        "data above 10,000 features served by bbox at ≤ 50 ms per request.",
        "",
        "| request | features | app p50 | app p95 | raw p50 | raw p95 | ratio p50 | size |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, query in BBOX_REQUESTS.items():
        body = json.loads(client.get(f"/api/premises?{query}").get_data())
        returned = len(body["rows"]) if "rows" in body else body["numberReturned"]
        app_samples, size = time_api(client, query, runs)
        with app.app_context():
            sql = statements(app, query)
        a50, a95 = percentiles(app_samples)
        r50, r95 = percentiles(time_raw(url, sql, runs))
        lines.append(
            f"| {name} | {returned:,} | {a50:.1f} ms | {a95:.1f} ms | {r50:.1f} ms | "
            f"{r95:.1f} ms | {a50 / r50:.2f}× | {size / 1024:.0f} KiB |"
        )
    return "\n".join(lines)


def table_rows(section: str | None, header: str) -> list[list[str]]:
    """The cells of the markdown table whose header row starts with ``header``."""
    if not section:
        return []
    rows, inside = [], False
    for line in section.splitlines():
        if line.startswith(f"| {header}"):
            inside = True
        elif inside and line.startswith("|---"):
            continue
        elif inside and line.startswith("| "):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif inside:
            break
    return rows


def number(cell: str) -> float:
    """The first number of a cell (« 1,234 », « 19.4 ms », « 1.85× »)."""
    match = re.search(r"[\d,]+(?:\.\d+)?", cell)
    return float(match.group().replace(",", "")) if match else float("nan")


def targets(sections: dict[str, str | None]) -> list[str]:
    """The issue's targets against this run's figures (a markdown table)."""
    rows = []
    search = table_rows(sections.get("run"), "search API scenario")
    if search:
        worst_p95 = max(search, key=lambda r: number(r[2]))
        worst_ratio = max(search, key=lambda r: number(r[5]))
        rows.append(("search API p95 ≤ 50 ms", f"worst: {worst_p95[2]} ({worst_p95[0]})",
                     number(worst_p95[2]) <= 50))  # fmt: skip
        rows.append(("app time ≤ 3× the raw query", f"worst p50 ratio: {worst_ratio[5]}",
                     number(worst_ratio[5]) <= 3))  # fmt: skip
    tiles = table_rows(sections.get("run"), "zoom")
    if tiles:
        worst = max(tiles, key=lambda r: number(r[4]))
        slowest = max(tiles, key=lambda r: number(r[8]))
        rows.append(("map data > 10,000 features by tiles ≤ 50 ms per request",
                     f"worst zoom p95: {worst[4]} (zoom {worst[0]}); slowest single tile "
                     f"p95: {slowest[8]} (zoom {slowest[0]})",
                     number(slowest[8]) <= 50))  # fmt: skip
    bbox = [r for r in table_rows(sections.get("bbox"), "request") if "rows" in r[0]]
    if bbox:
        worst = max(number(r[3]) for r in bbox)
        rows.append(("map data > 10,000 features by bbox ≤ 50 ms per request",
                     f"compact rows, worst p95: {worst:.1f} ms", worst <= 50))  # fmt: skip
    load = table_rows(sections.get("load"), "scenario")
    if load:
        search_load = load[0]
        rate, errors = number(search_load[2]), number(search_load[6])
        rows.append(("public search API ≥ 500 requests/s, zero errors, 50 clients (gunicorn)",
                     f"{rate:,.0f} requests/s, {errors:,.0f} errors",
                     rate >= 500 and errors == 0))  # fmt: skip
    if not rows:
        return []
    return [
        "| target (issue « Scale and speed ») | this run | met |",
        "|---|---|---|",
        *(
            f"| {target} | {figure} | {'yes' if met else '**no**'} |"
            for target, figure, met in rows
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=SCALES, default="small")
    parser.add_argument("--only", help="comma-separated benchmarks, e.g. run,bbox")
    parser.add_argument("--write", action="store_true", help="append the figures to BENCHMARKS.md")
    args = parser.parse_args()
    plan = SCALES[args.scale]
    names = [n.strip() for n in args.only.split(",")] if args.only else list(plan)
    unknown = set(names) - set(plan)
    if unknown:
        raise SystemExit(f"Mesures inconnues : {', '.join(sorted(unknown))}.")
    names = [n for n in plan if n in names]
    if "brochure" in names and importlib.util.find_spec("bench.brochure") is None:
        names.remove("brochure")  # added by the issue that builds the brochure benchmark

    started, load_before = time.perf_counter(), os.getloadavg()[0]
    url = database_url()
    if os.environ.get("BENCH_DATABASE_URL"):
        ensure_database(url)
    dsn = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as connection:
        server_version = connection.execute("SHOW server_version").fetchone()[0]
    sections: dict[str, str | None] = {}
    durations: dict[str, float] = {}
    for name in names:
        if name == "bbox":
            print(f"\n=== carte par emprise ({' '.join(plan['bbox'])})", flush=True)
            start = time.perf_counter()
            sections[name] = bbox_section(int(plan["bbox"][1]))
            durations[name] = time.perf_counter() - start
            print(sections[name], flush=True)
        else:
            sections[name], durations[name] = run_module(name, plan[name], module_env(name))
    load_after = os.getloadavg()[0]
    minutes = (time.perf_counter() - started) / 60

    failed = [name for name in names if sections[name] is None]
    texts = SCALE_TEXT[args.scale]
    scale_text = dict.fromkeys(texts["run" if name == "bbox" else name] for name in names)
    contention = load_before > 1.0 or load_after > 1.0
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — every benchmark, scale « {args.scale} »",
        "",
        f"`.venv/bin/python -m bench.all --scale {args.scale}"
        f"{f' --only {args.only}' if args.only else ''} --write`, {minutes:.0f} min "
        f"({', '.join(f'{n} {durations[n]:.0f} s' for n in names)}). Machine: "
        f"{machine(server_version)}; load average (1 min) {load_before:.1f} at the start, "
        f"{load_after:.1f} at the end"
        + (" — the machine was shared with other sessions' tests and benchmarks, so the "
           "times are pessimistic; the app/raw ratios, taken in the same run, hold better."
           if contention else ".")
        + f" Scale: {'; '.join(scale_text)}.",
        "",
    ]  # fmt: skip
    checked = targets(sections)
    if checked:
        lines += [*checked, ""]
    if failed:
        lines += [f"Failed, no figures: {', '.join(f'`bench.{n}`' for n in failed)}.", ""]
    lines += [sections[name] + "\n" for name in names if sections[name]]
    report = "\n".join(lines).rstrip() + "\n"
    print("\n" + report)
    if args.write:
        path = REPO / "BENCHMARKS.md"
        path.write_text(path.read_text() + "\n" + report)
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""Benchmark of the premises search API and the map page against the raw PostGIS queries.

    .venv/bin/python -m bench.run [--sites 500] [--premises 100000] [--runs 100] [--write]
                                  [--reuse] [--no-map-page]

Runs on BENCH_DATABASE_URL, or on database ``hosting_app_bench`` of the embedded cluster.
Each scenario is timed through the app (Flask test client: routing, parsing, SQLAlchemy,
response) and as the same SQL sent straight to PostgreSQL with psycopg, in the same run;
the ratio of the two is what the app adds (the API's response cache is off: every request
runs its query). ``--write`` appends the figures to BENCHMARKS.md; ``--reuse`` keeps the
synthetic data of a previous run (same counts) instead of generating it again;
``--no-map-page`` skips the map page's timing (minutes at 1,000,000 premises).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

import psycopg
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from bench.generate import generate
from hosting_app import create_app, migrate
from hosting_app.extensions import db
from hosting_app.sites import filters as search_filters
from hosting_app.sites import queries

REPO = Path(__file__).resolve().parent.parent

SEARCHES: dict[str, str] = {
    "workshops 200–400 m² within 10 km of Lieusaint, by distance": "kind=workshop&surface_min=200&surface_max=400&near=77251&radius_km=10&sort=distance",
    "offices ≤ 150 €/m²/yr in CAMVS, 20 per page": "kind=office&max_rent=150&intercommunality=camvs",
    "activity zones, free by 2027-06-30, largest first, page 3": "site_kind=activity_zone&available_by=2027-06-30&sort=-surface&page=3",
    "map viewport (bbox), compact rows, up to 5,000": "bbox=2.50,48.58,2.62,48.66&format=rows&per_page=5000",
    "no filter, first page": "",
}
MAP_QUERY = "kind=office&kind=workshop"


def database_url() -> str:
    """BENCH_DATABASE_URL, or a database of the app's embedded cluster."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    from hosting_app.embedded_pg import EmbeddedPostgres

    cluster = EmbeddedPostgres(REPO / "instance" / "postgres")
    return cluster.ensure_database("hosting_app_bench")


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def statements(app, query: str) -> list[str]:
    """The SQL the API runs for ``query``, with its values inlined."""
    schema = search_filters.ApiPremisesSchema()
    args = search_filters.without_blanks(MultiDict(parse_qsl(query)))
    data = schema.load(search_filters.MultiDictProxy(args, schema))
    filters = search_filters.from_data(data, max_per_page=10_000)

    def sql(statement) -> str:
        compiled = statement.compile(
            dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}
        )
        return str(compiled)

    result = [sql(queries.search_settings(local=False))]  # autocommit: for the connection
    if filters.near:  # as the API does: the commune's centre read once, then used as a point
        result.append(sql(queries.centre_point(filters)))
        lon, lat = db.session.execute(queries.centre_point(filters)).one()
        filters = dataclasses.replace(filters, point=(lon, lat))
    centre_lat = filters.point[1] if filters.point else None
    if data["format"] == "rows":
        result.append(sql(queries.premises_map_rows_json(filters, centre_lat)))
    else:
        result.append(sql(queries.premises_geojson(filters, centre_lat)))
    return result


def time_api(client, query: str, runs: int) -> tuple[list[float], int]:
    samples, size = [], 0
    for _ in range(5):
        client.get(f"/api/premises?{query}")
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(f"/api/premises?{query}")
        body = response.get_data()
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, body[:300]
        size = len(body)
    return samples, size


def time_raw(url: str, sql: list[str], runs: int) -> list[float]:
    dsn = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    samples = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(5):
            for statement in sql:
                conn.execute(statement.replace("%", "%%")).fetchall()
        for _ in range(runs):
            start = time.perf_counter()
            for statement in sql:
                conn.execute(statement.replace("%", "%%")).fetchall()
            samples.append(time.perf_counter() - start)
    return samples


def time_page(client, path: str, runs: int) -> tuple[list[float], int, int]:
    for _ in range(2):
        client.get(path)
    samples, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        body = response.get_data()
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200
        size = len(body)
    tracemalloc.start()
    client.get(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return samples, size, peak


def machine(server_version: str) -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"PostgreSQL {server_version}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--premises", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--write", action="store_true", help="append the figures to BENCHMARKS.md")
    parser.add_argument("--reuse", action="store_true", help="keep a previous run's data")
    parser.add_argument("--no-map-page", action="store_true", help="skip the map page's timing")
    args = parser.parse_args()

    url = database_url()
    app = create_app({"DATABASE_URL": url, "MAP_EMBED_LIMIT": 10_000, "API_CACHE": "off"})
    with app.app_context():
        migrate.upgrade(db.engine)
        if not (args.reuse and synthetic_counts(db.session) == (args.sites, args.premises)):
            from seed import load

            load.run(db.session, demo_data=False)
            generate(db.session, sites=args.sites, premises=args.premises)
            db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE premises"))
            connection.execute(sa.text("VACUUM ANALYZE site"))
        total = db.session.scalar(sa.text("SELECT count(*) FROM premises"))
        url = db.engine.url.render_as_string(hide_password=False)
        server_version = db.session.scalar(sa.text("SHOW server_version"))
    client = app.test_client()

    lines = [
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {args.sites} synthetic sites, "
        f"{total:,} premises",
        "",
        f"Machine: {machine(server_version)}. {args.runs} timed runs per row after 5 warm-up runs; app "
        "time = Flask test client (routing, parsing, SQLAlchemy, response; the response cache "
        "off), raw = the same SQL sent by psycopg on one connection. LOAD_AVERAGE",
        "",
        "| search API scenario | app p50 | app p95 | raw p50 | raw p95 | ratio p50 | size |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    load_before = os.getloadavg()[0]
    for name, query in SEARCHES.items():
        api_samples, size = time_api(client, query, args.runs)
        with app.app_context():
            sql = statements(app, query)
        raw_samples = time_raw(url, sql, args.runs)
        a50, a95 = percentiles(api_samples)
        r50, r95 = percentiles(raw_samples)
        lines.append(
            f"| {name} | {a50:.1f} ms | {a95:.1f} ms | {r50:.1f} ms | {r95:.1f} ms | "
            f"{a50 / r50:.2f}× | {size / 1024:.0f} KiB |"
        )

    lines[2] = lines[2].replace(
        "LOAD_AVERAGE",
        f"Load average (1 min) {load_before:.1f} before the searches, "
        f"{os.getloadavg()[0]:.1f} after.",
    )
    if args.no_map_page:
        finish("\n".join(lines) + "\n", args.write)
        return
    with app.app_context():
        filters, _ = search_filters.parse(MultiDict(parse_qsl(MAP_QUERY)))
        matching = db.session.scalar(queries.premises_count(filters, None))
    lines += [
        "",
        f"Map page `/locaux?{MAP_QUERY}` ({matching:,} matching premises):",
        "",
        "| mode | server p50 | server p95 | page size | peak Python memory |",
        "|---|---:|---:|---:|---:|",
    ]
    page_runs = max(10, args.runs // 5)
    for label, limit in (
        ("markers loaded by bbox (limit 10,000)", 10_000),
        (f"{matching:,} markers embedded", matching + 1),
    ):
        app.config["MAP_EMBED_LIMIT"] = limit
        samples, size, peak = time_page(client, f"/locaux?{MAP_QUERY}", page_runs)
        p50, p95 = percentiles(samples)
        lines.append(
            f"| {label} | {p50:.0f} ms | {p95:.0f} ms | {size / 1024:.0f} KiB | "
            f"{peak / 1024 / 1024:.1f} MiB |"
        )
    finish("\n".join(lines) + "\n", args.write)


def finish(report: str, write: bool) -> None:
    """Print the report; append it to BENCHMARKS.md when asked."""
    print(report)
    if write:
        path = REPO / "BENCHMARKS.md"
        path.write_text(path.read_text() + "\n" + report if path.exists() else report)


def synthetic_counts(session) -> tuple[int, int]:
    """How many synthetic sites and premises the database holds."""
    return session.execute(
        sa.text(
            "SELECT (SELECT count(*) FROM site WHERE slug LIKE 'bench-site-%'), "
            "(SELECT count(*) FROM premises JOIN site ON site.id = premises.site_id "
            "WHERE site.slug LIKE 'bench-site-%')"
        )
    ).one()


if __name__ == "__main__":
    main()

"""Benchmark of the premises search API and the map page against the raw PostGIS queries.

    .venv/bin/python -m bench.run [--sites 500] [--premises 100000] [--runs 100] [--write]
                                  [--reuse] [--no-map-page] [--embedded-runs N] [--tiles-only]

Runs on BENCH_DATABASE_URL, or on database ``hosting_app_bench`` of the embedded cluster.
Each scenario is timed through the app (Flask test client: routing, parsing, SQLAlchemy,
response) and as the same SQL sent straight to PostgreSQL with psycopg, in the same run;
the ratio of the two is what the app adds (the API's response cache is off: every request
runs its query). ``--write`` appends the figures to BENCHMARKS.md; ``--reuse`` keeps the
synthetic data of a previous run (same counts) instead of generating it again;
``--no-map-page`` skips the map page's timing; ``--embedded-runs`` sets how many times the
page is timed with every marker embedded, for comparison (seconds each at 1,000,000
premises; 0: not timed). The vector
tiles of the map's viewport are timed too (``tiles_section``); ``--tiles-only`` times them and
the map page in tile mode alone.
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
from hosting_app.sites import queries, tiles

REPO = Path(__file__).resolve().parent.parent

SEARCHES: dict[str, str] = {
    "workshops 200–400 m² within 10 km of Lieusaint, by distance": "kind=workshop&surface_min=200&surface_max=400&near=77251&radius_km=10&sort=distance",
    "offices ≤ 150 €/m²/yr in CAMVS, 20 per page": "kind=office&max_rent=150&intercommunality=camvs",
    "activity zones, free by 2027-06-30, largest first, page 3": "site_kind=activity_zone&available_by=2027-06-30&sort=-surface&page=3",
    "map viewport (bbox), compact rows, up to 5,000": "bbox=2.50,48.58,2.62,48.66&format=rows&per_page=5000",
    "no filter, first page": "",
}
MAP_QUERY = "kind=office&kind=workshop"
# The map's viewport: a 1280 × 800 pixel map centred on the territory.
VIEWPORT_CENTRE = (2.62, 48.59)  # lon, lat
VIEWPORT_PIXELS = (1280, 800)
TILE_ZOOMS = (10, 12, 14, 16)


def viewport_tiles(z: int) -> list[tuple[int, int, int]]:
    """The tiles Leaflet loads for the viewport at zoom ``z``."""
    import math

    n = 2**z
    lon, lat = VIEWPORT_CENTRE
    cx = (lon + 180) / 360 * n * 256
    cy = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n * 256
    width, height = VIEWPORT_PIXELS
    xs = range(int((cx - width / 2) // 256), int((cx + width / 2) // 256) + 1)
    ys = range(int((cy - height / 2) // 256), int((cy + height / 2) // 256) + 1)
    return [(z, x, y) for x in xs for y in ys]


def inline_sql(statement) -> str:
    """A statement's SQL with its values inlined (in an app context), as psycopg sends it raw."""
    return str(statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))


def tiles_section(app, url: str, runs: int) -> list[str]:
    """The premises tiles of the viewport at each zoom: the app against the raw SQL."""
    from werkzeug.datastructures import MultiDict as Args

    with app.app_context():
        filters, _ = search_filters.parse(Args(parse_qsl(MAP_QUERY)))
        max_zoom = app.config.get("TILE_CLUSTER_MAX_ZOOM", 13)

        settings = inline_sql(queries.search_settings(local=False))
        statements = {
            tile: [settings, inline_sql(tiles.premises_tile(filters, None, *tile,
                                                     cluster_max_zoom=max_zoom))]
            for z in TILE_ZOOMS for tile in viewport_tiles(z)
        }  # fmt: skip
    client = app.test_client()
    lines = [
        "",
        f"Vector tiles `/api/tiles/premises/{{z}}/{{x}}/{{y}}.pbf?{MAP_QUERY}` of a "
        f"{VIEWPORT_PIXELS[0]} × {VIEWPORT_PIXELS[1]} pixel map centred on the territory, "
        f"each tile {runs} times after 2 warm-up runs (gzip accepted, as browsers do), against "
        f"the same ST_AsMVT statement sent by psycopg; clusters up to zoom {max_zoom}:",
        "",
        "| zoom | tiles | features | app p50 | app p95 | raw p50 | raw p95 | ratio p50 | "
        "slowest tile p95 (app) | mean size (gzip) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    import gzip

    import mapbox_vector_tile

    for z in TILE_ZOOMS:
        app_samples, raw_samples, sizes, features, slowest = [], [], [], 0, 0.0
        for tile in viewport_tiles(z):
            path = "/api/tiles/premises/{}/{}/{}.pbf?{}".format(*tile, MAP_QUERY)
            own = []
            for run in range(runs + 2):
                start = time.perf_counter()
                response = client.get(path, headers={"Accept-Encoding": "gzip"})
                body = response.get_data()
                if run >= 2:
                    own.append(time.perf_counter() - start)
                assert response.status_code == 200, body[:300]
            app_samples += own
            slowest = max(slowest, percentiles(own)[1])
            sizes.append(len(body))
            raw = gzip.decompress(body) if body else b""
            features += sum(len(layer["features"])
                            for layer in mapbox_vector_tile.decode(raw).values())  # fmt: skip
            raw_samples += time_raw(url, statements[tile], runs, warm_up=2)
        a50, a95 = percentiles(app_samples)
        r50, r95 = percentiles(raw_samples)
        count = len(viewport_tiles(z))
        lines.append(
            f"| {z} | {count} | {features:,} | {a50:.1f} ms | {a95:.1f} ms | {r50:.1f} ms | "
            f"{r95:.1f} ms | {a50 / r50:.2f}× | {slowest:.1f} ms | "
            f"{sum(sizes) / count / 1024:.1f} KiB |"
        )
    return lines


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

    result = [inline_sql(queries.search_settings(local=False))]  # autocommit: for the connection
    if filters.near:  # as the API does: the commune's centre read once, then used as a point
        result.append(inline_sql(queries.centre_point(filters)))
        lon, lat = db.session.execute(queries.centre_point(filters)).one()
        filters = dataclasses.replace(filters, point=(lon, lat))
    centre_lat = filters.point[1] if filters.point else None
    if data["format"] == "rows":
        result.append(inline_sql(queries.premises_map_rows_json(filters, centre_lat)))
    else:
        result.append(inline_sql(queries.premises_geojson(filters, centre_lat)))
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


def time_raw(url: str, sql: list[str], runs: int, warm_up: int = 5) -> list[float]:
    dsn = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    samples = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(warm_up):
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
    """The CPU (with its family and model: "AMD EPYC" alone names several generations, whose
    speeds differ by a third), cores, Python and PostgreSQL."""
    info: dict[str, str] = {}
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        info.setdefault(key.strip(), value.strip())
    cpu = info.get("model name") or platform.processor()
    if "cpu family" in info and "model" in info:
        cpu += f" (family {info['cpu family']}, model {info['model']})"
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
    parser.add_argument(
        "--embedded-runs", type=int, help="timings of the page with every marker embedded"
    )
    parser.add_argument(
        "--tiles-only", action="store_true", help="time the tiles and the page in tile mode only"
    )
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
    if args.tiles_only:
        finish(tiles_report(app, client, url, args, server_version), args.write)
        return

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
    lines += tiles_section(app, url, max(20, args.runs // 5))
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
    embedded_runs = page_runs if args.embedded_runs is None else args.embedded_runs
    for label, limit, runs in (
        ("vector tiles (limit 10,000)", 10_000, page_runs),
        (f"{matching:,} markers embedded", matching + 1, embedded_runs),
    ):
        if not runs:
            continue
        app.config["MAP_EMBED_LIMIT"] = limit
        samples, size, peak = time_page(client, f"/locaux?{MAP_QUERY}", runs)
        p50, p95 = percentiles(samples)
        lines.append(
            f"| {label} | {p50:.0f} ms | {p95:.0f} ms | {size / 1024:.0f} KiB | "
            f"{peak / 1024 / 1024:.1f} MiB |"
        )
    finish("\n".join(lines) + "\n", args.write)


def tiles_report(app, client, url: str, args, server_version: str) -> str:
    """The tiles' timing and the map page in tile mode (``--tiles-only``)."""
    with app.app_context():
        filters, _ = search_filters.parse(MultiDict(parse_qsl(MAP_QUERY)))
        matching = db.session.scalar(queries.premises_count(filters, None))
        total = db.session.scalar(sa.text("SELECT count(*) FROM premises"))
    load_before = os.getloadavg()[0]
    lines = [
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — vector tiles: {args.sites} synthetic "
        f"sites, {total:,} premises, {matching:,} matching `{MAP_QUERY}`",
        "",
        f"Machine: {machine(server_version)}. App = Flask test client (the response cache "
        "off), raw = the same SQL by psycopg on one connection. LOAD_AVERAGE",
    ]
    lines += tiles_section(app, url, args.runs)
    samples, size, peak = time_page(client, f"/locaux?{MAP_QUERY}", max(10, args.runs))
    p50, p95 = percentiles(samples)
    lines += [
        "",
        f"Map page `/locaux?{MAP_QUERY}` in tile mode ({matching:,} matching premises, "
        f"above MAP_EMBED_LIMIT): server p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
        f"{size / 1024:.0f} KiB, peak Python memory {peak / 1024 / 1024:.1f} MiB.",
    ]
    lines[2] = lines[2].replace(
        "LOAD_AVERAGE",
        f"Load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after.",
    )
    return "\n".join(lines) + "\n"


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

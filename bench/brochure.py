"""Benchmark of the territory brochure (PDF) for 50 sites: time and size.

    BENCH_DATABASE_URL=postgresql://… .venv/bin/python -m bench.brochure [--runs 3] [--write]

Runs on BENCH_DATABASE_URL, or on database ``hosting_app_bench_pdf`` of the embedded
cluster. An empty database is migrated, seeded (reference data, demo premises) and its 17 real
sites completed by synthetic ones from ``bench/generate.py`` (perimeters, 10 premises each) up
to ``--sites``; a database prepared so earlier is reused as it is. Each run builds the
whole brochure as the page does (queries, maps, templates, WeasyPrint), after one warm-up run.
``--write`` appends the figures to BENCHMARKS.md. Target (issue « pitch material »): ≤ 10 s.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from pypdf import PdfReader

from bench.generate import generate
from bench.run import machine
from hosting_app import create_app, migrate
from hosting_app.extensions import db
from hosting_app.sites.models import Premises, Site

REPO = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 10.0


def database_url() -> str:
    """BENCH_DATABASE_URL, or a database of the app's embedded cluster."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    from hosting_app.embedded_pg import EmbeddedPostgres

    cluster = EmbeddedPostgres(REPO / "instance" / "postgres")
    return cluster.ensure_database("hosting_app_bench_pdf")


def prepare(sites: int) -> tuple[int, int]:
    """Migrate; on an empty database, seed then add synthetic sites up to ``sites`` (a
    database prepared earlier is reused as it is); return the numbers of sites and premises."""
    from seed import load

    migrate.upgrade(db.engine)
    if not db.session.scalar(sa.select(sa.func.count()).select_from(Site)):
        load.run(db.session)
        real = db.session.scalar(sa.select(sa.func.count()).select_from(Site))
        synthetic = max(sites - real, 0)
        if synthetic:
            generate(db.session, sites=synthetic, premises=synthetic * 10)
        db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Site))
    if count != sites:
        raise SystemExit(f"The database holds {count} sites, not {sites}: use a fresh one.")
    return count, db.session.scalar(sa.select(sa.func.count()).select_from(Premises))


def main() -> None:
    """Time the brochure; print the figures; append them to BENCHMARKS.md with ``--write``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="append to BENCHMARKS.md")
    args = parser.parse_args()

    from hosting_app.exports import pdf

    app = create_app({"DATABASE_URL": database_url()})
    with app.app_context(), app.test_request_context():
        sites, premises = prepare(args.sites)
        server_version = db.session.scalar(sa.text("SHOW server_version"))
        pdf.brochure_pdf(db.session)  # warm-up: imports, fonts, caches
        timings, cpu, content = [], [], b""
        load = os.getloadavg()[0]
        for _ in range(args.runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            content, _count = pdf.brochure_pdf(db.session)
            timings.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            db.session.rollback()
        load = max(load, os.getloadavg()[0])
    pages = len(PdfReader(io.BytesIO(content)).pages)
    best, median, median_cpu = min(timings), statistics.median(timings), statistics.median(cpu)
    verdict = "within" if median <= TARGET_SECONDS else "OVER"
    print(f"{sites} sites, {premises} premises: brochure of {pages} pages, {len(content) / 1024:.0f}"
          f" KiB, {median:.2f} s median (best {best:.2f} s, CPU {median_cpu:.2f} s) over "
          f"{args.runs} runs, load average {load:.1f} — {verdict} the {TARGET_SECONDS:.0f} s "
          "target")  # fmt: skip
    if args.write:
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        section = (
            f"\n\n### {now} — territory brochure (PDF), {sites} sites\n\n"
            f"Machine: {machine(server_version)}; WeasyPrint {_version('weasyprint')}. "
            f"{sites} sites (17 real, the others synthetic from `bench/generate.py`, with "
            f"perimeters), {premises} premises (demo and synthetic). `bench/brochure.py`: the "
            f"whole brochure as the page builds it (queries, Lambert-93 SVG maps, templates, "
            f"WeasyPrint), {args.runs} timed runs after one warm-up run; CPU = the process's own "
            f"time; the machine's load average during the runs was {load:.1f}.\n\n"
            f"| sites | pages | size | wall median | wall best | CPU median | target |\n"
            f"|---:|---:|---:|---:|---:|---:|---:|\n"
            f"| {sites} | {pages} | {len(content) / 1024:.0f} KiB | {median:.2f} s | "
            f"{best:.2f} s | {median_cpu:.2f} s | ≤ {TARGET_SECONDS:.0f} s |\n"
        )
        path = REPO / "BENCHMARKS.md"
        path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + section, encoding="utf-8")
        print(f"Appended to {path}.")


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    main()

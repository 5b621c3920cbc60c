"""Benchmark of the CRM at scale: duplicate matching against the raw trigram query, and imports.

    .venv/bin/python -m bench.crm [--firms 1000000] [--import-rows 200000] [--write]

Runs on BENCH_DATABASE_URL, or on database ``hosting_app_bench`` of the embedded cluster, whose
firms (with the tables that refer to them, and their names) and audit log are emptied first. It loads N synthetic firms of
``bench/firm_names.py`` with the import itself, then times:

- ``services.match`` (the app's code: normalisation, candidate queries, scoring, the firms'
  followers) for about 200 probes — variants of existing names (accents dropped, legal form
  changed, « & » ↔ « et », typos, words swapped) and unrelated names, typed alone then with a
  postcode — against the same candidate statements sent raw with psycopg, in the same run;
- ``firms import`` of a SIRENE StockEtablissement file and of a project-format file
  (a tenth of its rows update existing firms), then the same files again (nothing to do);
- ``services.match`` for the names alone once more, after those imports (no vacuum since).

``--write`` appends the figures to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

from bench import firm_names
from bench.run import REPO, database_url, machine, percentiles
from hosting_app import create_app, migrate
from hosting_app.audit.service import rewriting
from hosting_app.extensions import db
from hosting_app.leads import dedup, imports, services

SEED = 42
LOAD_START, SIRENE_START, PROJECT_START = 0, 20_000_000, 40_000_000  # SIREN index ranges


def write_files(folder: Path, firms: int, rows: int) -> dict[str, Path]:
    """The load file, a SIRENE file of new establishments and a project file (10 % updates)."""
    paths = {name: folder / f"{name}.csv" for name in ("load", "sirene", "project")}
    firm_names.write_csv(
        paths["load"], firm_names.firms(firms, seed=SEED, start=LOAD_START, without_siret=0.05),
        kind="project", seed=SEED,
    )  # fmt: skip
    firm_names.write_csv(
        paths["sirene"], firm_names.firms(rows, seed=SEED, start=SIRENE_START, closed=0.08),
        kind="sirene", seed=SEED,
    )  # fmt: skip
    rng = random.Random(SEED)  # noqa: S311 - fake data
    updated = [
        dataclasses.replace(
            firm, workforce_band=rng.choice(firm_names.WORKFORCE_BANDS),
            street_number=str(rng.randrange(1, 300)),
        )
        for firm in firm_names.firms(rows // 10, seed=SEED, start=LOAD_START, without_siret=0.05)
        if firm.siret
    ]  # fmt: skip
    new = firm_names.firms(rows - len(updated), seed=SEED, start=PROJECT_START, without_siret=0.05)
    firm_names.write_csv(paths["project"], [*updated, *new], kind="project", seed=SEED)
    return paths


def timed_import(path: Path) -> tuple[imports.ImportReport, float, float]:
    """Import a file and commit, as the command does; (report, seconds, load average after)."""
    start = time.perf_counter()
    report = imports.import_firms(db.session, path)
    assert report.ok, report.errors[:5]
    db.session.commit()
    return report, time.perf_counter() - start, os.getloadavg()[0]


def probes(count: int, firms: int) -> list[tuple[str, int | None, str | None, str]]:
    """(typed name, id and normalised name of the firm it was made from, or None twice for an
    unrelated name, the firm's postcode or one of the territory's)."""
    rng = random.Random(SEED)  # noqa: S311 - fake data
    ids = rng.sample(range(1, firms + 1), count - count // 5)
    rows = db.session.execute(
        sa.text("SELECT id, name, postcode FROM firm WHERE id = ANY(:ids)"), {"ids": ids}
    )
    known = {row.id: row for row in rows}
    made = [
        (firm_names.name_variant(known[i].name, rng), i, dedup.normalise_name(known[i].name),
         known[i].postcode)
        for i in ids if i in known
    ]  # fmt: skip
    unrelated = [
        (firm_names.unrelated_name(rng), None, None, rng.choice(firm_names.COMMUNES)[2])
        for _ in range(count // 5)
    ]
    return made + unrelated


@contextmanager
def captured(engine: sa.Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements sent on ``engine`` meanwhile, with their parameters."""
    statements: list[tuple[str, Any]] = []

    def record(connection, cursor, statement, parameters, context, executemany) -> None:
        statements.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def time_match(app, url: str, names: list[tuple[str, int | None, str | None, str]], runs: int,
               *, postcode: bool = False):  # fmt: skip
    """App and raw samples (seconds); how many variants had their firm shown (or, else, a
    namesake: same normalised name); how many unrelated names had no candidate. The raw
    samples replay, in one transaction, the statements ``services.candidates`` sent for the
    probe (it may search names twice)."""
    dsn = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    app_samples, raw_samples, found, namesakes, quiet = [], [], 0, 0, 0
    probes_, sql = [], []
    with app.app_context():
        for name, _, _, code in names:
            probe = services.probe_from(name=name, postcode=code if postcode else None)
            with captured(db.engine) as statements:
                services.candidates(db.session, probe)
            db.session.rollback()
            probes_.append(probe)
            sql.append(statements)
    with psycopg.connect(dsn) as connection:
        for round_ in range(runs + 1):  # the first round warms the caches up
            for (_, source, normalised, _), probe, statements in zip(names, probes_, sql,
                                                                     strict=True):  # fmt: skip
                with app.app_context():
                    start = time.perf_counter()
                    candidates = services.match(db.session, probe)
                    elapsed = time.perf_counter() - start
                start = time.perf_counter()
                with connection.transaction():
                    for statement, parameters in statements:
                        connection.execute(statement, parameters).fetchall()
                raw = time.perf_counter() - start
                if round_:
                    app_samples.append(elapsed)
                    raw_samples.append(raw)
                elif source is None:
                    quiet += not candidates
                elif source in {c["firm_id"] for c in candidates}:
                    found += 1
                else:
                    shown = {dedup.normalise_name(c["name"]) for c in candidates}
                    namesakes += normalised in shown
    return app_samples, raw_samples, found, namesakes, quiet


SCENARIOS = {"name": "name only", "postcode": "name and postcode"}
# Timed again once the imports have added their firms, as a CRM is in use: without a vacuum
# since, their names are where the imports left them in the trigram index.
AFTER_IMPORTS = {"after": "name only, after the imports"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--import-rows", type=int, default=200_000)
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3, help="timed rounds of the probes")
    parser.add_argument("--write", action="store_true", help="append the figures to BENCHMARKS.md")
    args = parser.parse_args()

    url = database_url()
    app = create_app({"DATABASE_URL": url})
    load_average = os.getloadavg()[0]
    matching = {}
    with tempfile.TemporaryDirectory(prefix="bench-crm-") as folder:
        print("Fichiers de test…", flush=True)
        paths = write_files(Path(folder), args.firms, args.import_rows)
        with app.app_context():
            migrate.upgrade(db.engine)
            from seed import load

            load.run(db.session, demo_data=False)
            with rewriting(db.session, "benchmark"):  # the audit log is append-only otherwise
                db.session.execute(
                    sa.text("TRUNCATE firm, firm_name, audit_entry RESTART IDENTITY CASCADE")
                )
            db.session.commit()
            print(f"Chargement de {args.firms:,} entreprises…", flush=True)
            runs = {"load": timed_import(paths["load"])}
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE firm, firm_name"))
            server_version = db.session.scalar(sa.text("SHOW server_version"))
            total = db.session.scalar(sa.text("SELECT count(*) FROM firm"))
            names = probes(args.probes, total)
            url = db.engine.url.render_as_string(hide_password=False)
        for key, label in SCENARIOS.items():
            print(f"Rapprochement ({label}) : {len(names)} noms…", flush=True)
            before = os.getloadavg()[0]
            samples = time_match(app, url, names, args.runs, postcode=key == "postcode")
            matching[key] = (*samples, before, os.getloadavg()[0])
        with app.app_context():
            for label, key in (("sirene", "sirene"), ("sirene again", "sirene"),
                               ("project", "project"), ("project again", "project")):  # fmt: skip
                print(f"Import : {label}…", flush=True)
                runs[label] = timed_import(paths[key])
            after_total = db.session.scalar(sa.text("SELECT count(*) FROM firm"))
        print(f"Rapprochement ({AFTER_IMPORTS['after']}) : {len(names)} noms…", flush=True)
        before = os.getloadavg()[0]
        samples = time_match(app, url, names, args.runs)
        matching["after"] = (*samples, before, os.getloadavg()[0])

    load_average = f"{load_average:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    variants = sum(1 for _, source, _, _ in names if source is not None)
    lines = [
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — CRM: {total:,} firms",
        "",
        f"Machine: {machine(server_version)}; load average {load_average} (the machine is "
        "shared with other jobs: wall-clock figures are pessimistic). Synthetic firms of "
        "`bench/firm_names.py` (fixed seed), loaded with `firms import`, then `VACUUM ANALYZE`d.",
        "",
        f"Duplicate matching, {len(names)} probes ({variants} variants of existing names, "
        f"{len(names) - variants} unrelated names), typed alone, then with the firm's postcode "
        f"(one of the territory's for an unrelated name), × {args.runs} rounds after a warm-up "
        "round; app = `services.match` (normalisation, candidate queries, scoring, followers), "
        "raw = the statements `services.candidates` sent for the probe (threshold settings, "
        "identifier and name searches), replayed by psycopg in one transaction; the last row "
        f"times the names alone again after the imports below ({after_total:,} firms, no "
        "vacuum since):",
        "",
        "| duplicate matching | load average | app p50 | app p95 | raw p50 | raw p95 "
        "| app / raw p50 | app / raw p95 |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, label in {**SCENARIOS, **AFTER_IMPORTS}.items():
        app_samples, raw_samples, *_, before, after = matching[key]
        a50, a95 = percentiles(app_samples)
        r50, r95 = percentiles(raw_samples)
        lines.append(
            f"| {label} | {before:.1f} → {after:.1f} | {a50:.1f} ms | {a95:.1f} ms | "
            f"{r50:.1f} ms | {r95:.1f} ms | {a50 / r50:.2f}× | {a95 / r95:.2f}× |"
        )
    lines.append("")
    for key, label in SCENARIOS.items():
        _, _, found, namesakes, quiet, *_ = matching[key]
        lines.append(
            f"Quality ({label}): {found} of {variants} variants have their firm among the 5 "
            f"candidates shown, {namesakes} more a namesake of it (same normalised name: the "
            f"synthetic set repeats names a lot); {quiet} of {len(names) - variants} unrelated "
            "names get no candidate."
        )
    lines += [
        "",
        "`firms import` (parse, check, COPY, merge, commit; rows/s counts every row read):",
        "",
        "| import | rows | time | rows/s | load average after | created | updated | unchanged "
        "| skipped |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {
        "load": "initial load, project CSV",
        "sirene": "SIRENE StockEtablissement, new establishments",
        "sirene again": "same SIRENE file again (no-op)",
        "project": "project CSV, 10 % updates of existing firms",
        "project again": "same project file again (no-op)",
    }
    for key, label in labels.items():
        report, seconds, after = runs[key]
        skipped = report.skipped_closed + report.skipped_unnamed
        lines.append(
            f"| {label} | {report.rows:,} | {seconds:.1f} s | {report.rows / seconds:,.0f} | "
            f"{after:.1f} | {report.created:,} | {report.updated:,} | {report.unchanged:,} | "
            f"{skipped:,} |"
        )
    report_text = "\n".join(lines) + "\n"
    print(report_text)
    if args.write:
        path = REPO / "BENCHMARKS.md"
        path.write_text(path.read_text() + "\n" + report_text if path.exists() else report_text)


if __name__ == "__main__":
    main()

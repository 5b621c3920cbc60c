"""Benchmark of matching and of the dashboard at scale.

    .venv/bin/python -m bench.journeys [--runs 50] [--sites 500 --premises 100000] [--reuse]
                                       [--write]

On BENCH_DATABASE_URL (or the embedded cluster's ``hosting_app_bench``): the synthetic
territory of bench/generate.py (500 sites, 100,000 premises by default; ``--reuse`` keeps the
one already there when it has that size, as ``bench.run`` leaves it), plus 20,000 synthetic firms,
10,000 open leads and 1,000,000 interactions made by set-based SQL. Times, in one run:
matching a lead to premises (``services.suggest``), matching a premises to the open leads
(``services.leads_for``), and the whole dashboard (``dashboard.all_figures``).
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, date, datetime

import sqlalchemy as sa

from bench.generate import generate
from bench.run import REPO, database_url, machine, percentiles, synthetic_counts
from hosting_app import create_app, migrate
from hosting_app.extensions import db
from hosting_app.journeys import dashboard, services
from hosting_app.leads.models import Lead
from hosting_app.sites.models import Premises

CRM_SQL = [
    "DELETE FROM interaction WHERE firm_id IN (SELECT id FROM firm WHERE name LIKE 'Synthétique %')",
    "DELETE FROM lead WHERE firm_id IN (SELECT id FROM firm WHERE name LIKE 'Synthétique %')",
    "DELETE FROM firm WHERE name LIKE 'Synthétique %'",
    "SELECT setseed(0.7)",
    """INSERT INTO firm (name, name_normalised, is_demo)
       SELECT 'Synthétique ' || n, 'synthetique ' || n, true FROM generate_series(1, :firms) n""",
    """INSERT INTO lead (firm_id, title, source, owner_organisation_id, stage, premises_kind,
                        surface_min_m2, surface_max_m2, budget_eur_year, is_demo, preferred_communes,
                        notes)
       SELECT f.id, 'Projet ' || f.id,
              (ARRAY['website_inquiry','event','prospection','referral','other'])[1 + floor(random() * 5)::int],
              (SELECT id FROM organisation ORDER BY random() LIMIT 1),
              (ARRAY['new','qualified','visit','proposal','on_hold'])[1 + floor(random() * 5)::int],
              (ARRAY['office','workshop','warehouse','land_plot','desk','mixed'])[1 + floor(random() * 6)::int],
              s, s * 2, s * 120, true, '{}', ''
       FROM (SELECT id, round((50 + random() * 2000)::numeric, 0) AS s FROM firm
             WHERE name LIKE 'Synthétique %' ORDER BY id LIMIT :leads) f""",
    """INSERT INTO interaction (firm_id, occurred_on, channel, organisation_id, summary, is_demo)
       SELECT (SELECT min(id) FROM firm WHERE name LIKE 'Synthétique %') + (n % :firms),
              DATE '2024-01-01' + (n % 1000), 'call', 1 + (n % 11), 'Échange synthétique', true
       FROM generate_series(1, :interactions) n""",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--premises", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep a synthetic set of that size")
    parser.add_argument("--firms", type=int, default=20_000)
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    app = create_app({"DATABASE_URL": database_url()})
    today = date.today()
    with app.app_context():
        migrate.upgrade(db.engine)
        from seed import load

        if not (args.reuse and synthetic_counts(db.session) == (args.sites, args.premises)):
            load.run(db.session, demo_data=False)
            generate(db.session, sites=args.sites, premises=args.premises)
        for statement in CRM_SQL:
            db.session.execute(
                sa.text(statement),
                {"firms": args.firms, "leads": args.leads, "interactions": args.interactions},
            )
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in ("premises", "site", "firm", "lead", "interaction"):
                connection.execute(sa.text(f"VACUUM ANALYZE {table}"))
        server_version = db.session.scalar(sa.text("SHOW server_version"))
        rng = random.Random(3)  # noqa: S311 — benchmark sampling
        leads = db.session.scalars(sa.select(Lead).where(Lead.is_demo).limit(2000)).all()
        premises = db.session.scalars(sa.select(Premises).where(Premises.is_demo).limit(2000)).all()

        def timed(fn) -> list[float]:
            samples = []
            for _ in range(args.runs):
                start = time.perf_counter()
                fn()
                samples.append(time.perf_counter() - start)
            return samples

        lead_samples = timed(
            lambda: services.suggest(
                db.session, services.need_of(rng.choice(leads)), today=today, limit=10
            )
        )
        premises_samples = timed(
            lambda: services.leads_for(db.session, rng.choice(premises), today=today)
        )
        dashboard_samples = []
        for _ in range(max(3, args.runs // 10)):
            start = time.perf_counter()
            dashboard.all_figures(db.session, today)
            dashboard_samples.append(time.perf_counter() - start)
        counts = {
            t: db.session.scalar(sa.text(f"SELECT count(*) FROM {t}"))  # noqa: S608
            for t in ("premises", "lead", "interaction")
        }
    rows = [
        ("match a lead to free premises (services.suggest)", lead_samples),
        ("match a premises to the open leads (services.leads_for)", premises_samples),
        ("whole dashboard (dashboard.all_figures)", dashboard_samples),
    ]
    lines = [
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — journeys: {counts['premises']:,} premises, "
        f"{counts['lead']:,} leads, {counts['interaction']:,} interactions",
        "",
        f"Machine: {machine(server_version)}. In-process calls of the app's services "
        f"({args.runs} runs for matching, {len(dashboard_samples)} for the dashboard).",
        "",
        "| operation | p50 | p95 |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {name} | {percentiles(s)[0]:.0f} ms | {percentiles(s)[1]:.0f} ms |" for name, s in rows
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.write:
        path = REPO / "BENCHMARKS.md"
        path.write_text(path.read_text() + "\n" + report)


if __name__ == "__main__":
    main()

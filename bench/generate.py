"""A synthetic territory for benchmarks: N sites with perimeters and M premises, all flagged.

Sites are named « Site de test n » (slug ``bench-site-n``) and every premises is ``is_demo``;
they are placed at random (fixed seed) over the Sénart / Melun Val de Seine area. The bulk of
the work is one INSERT … SELECT per table, so 100,000 premises take a few seconds.
"""

from __future__ import annotations

import argparse

import sqlalchemy as sa
from sqlalchemy.orm import Session

BOUNDS = (2.40, 48.45, 2.80, 48.70)  # minlon, minlat, maxlon, maxlat
SITE_KINDS = ("incubator", "business_hotel", "eco_park", "activity_zone", "craft_village",
              "aero_park", "services_hub")  # fmt: skip
PREMISES_KINDS = ("office", "workshop", "warehouse", "land_plot", "desk", "mixed")

SITES_SQL = """
INSERT INTO site (name, slug, kind, status, position_confidence, position_source, description,
                  point, perimeter, target_sectors, services, source_urls, region_funded)
SELECT 'Site de test ' || n, 'bench-site-' || n,
       (ARRAY[{kinds}])[1 + floor(random() * {kind_count})::int],
       'existing', 'high', 'synthetic', 'Site synthétique de mesure de performance.',
       ST_SetSRID(ST_MakePoint(x, y), 4326),
       ST_Multi(ST_Expand(ST_SetSRID(ST_MakePoint(x, y), 4326), 0.003, 0.002)),
       '{{}}', '{{}}', '{{}}', false
FROM (SELECT n, :minlon + random() * (:maxlon - :minlon) AS x,
             :minlat + random() * (:maxlat - :minlat) AS y
      FROM generate_series(1, :sites) AS n) AS s
"""

SITE_COMMUNES_SQL = """
INSERT INTO site_commune (site_id, commune_insee)
SELECT site.id, commune.insee FROM site JOIN commune ON ST_Intersects(commune.contour, site.perimeter)
WHERE site.slug LIKE 'bench-site-%'
"""

PREMISES_SQL = """
INSERT INTO premises (site_id, kind, label, surface_m2, rent_eur_m2_year, sale_price_eur_m2,
                      availability, available_from, geometry, cadastral_refs, features,
                      description, is_demo)
SELECT site.id, p.kind, 'Local ' || p.n, p.surface,
       CASE WHEN p.kind <> 'land_plot' THEN round((60 + random() * 140)::numeric, 2) END,
       CASE WHEN p.kind = 'land_plot' THEN round((50 + random() * 150)::numeric, 2) END,
       (ARRAY['available', 'available', 'available', 'under_construction', 'reserved',
              'occupied', 'occupied'])[1 + floor(random() * 7)::int],
       DATE '2026-09-01' + floor(random() * 700 - 200)::int,
       ST_SetSRID(ST_MakePoint(ST_X(site.point) + (random() - 0.5) * 0.006,
                               ST_Y(site.point) + (random() - 0.5) * 0.004), 4326),
       '{{}}', '{{}}', 'Local synthétique.', true
FROM (SELECT n, 1 + (n % :sites) AS site_number,
             (ARRAY[{kinds}])[1 + floor(random() * {kind_count})::int] AS kind,
             round((10 + random() * random() * 5000)::numeric, 2) AS surface
      FROM generate_series(1, :premises) AS n) AS p
JOIN site ON site.slug = 'bench-site-' || p.site_number
"""


def _array(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def generate(session: Session, *, sites: int, premises: int, seed: float = 0.42) -> None:
    """Replace the synthetic sites and premises by a fresh set (same seed, same data)."""
    clear(session)
    session.execute(sa.text("SELECT setseed(:seed)"), {"seed": seed})
    minlon, minlat, maxlon, maxlat = BOUNDS
    session.execute(
        sa.text(SITES_SQL.format(kinds=_array(SITE_KINDS), kind_count=len(SITE_KINDS))),
        {"minlon": minlon, "minlat": minlat, "maxlon": maxlon, "maxlat": maxlat, "sites": sites},
    )
    session.execute(sa.text(SITE_COMMUNES_SQL))
    session.execute(
        sa.text(PREMISES_SQL.format(kinds=_array(PREMISES_KINDS), kind_count=len(PREMISES_KINDS))),
        {"sites": sites, "premises": premises},
    )
    session.execute(sa.text("ANALYZE site; ANALYZE premises; ANALYZE premises_site_count"))


def clear(session: Session) -> None:
    """Remove the synthetic sites and their premises."""
    synthetic = "SELECT id FROM site WHERE slug LIKE 'bench-site-%'"
    session.execute(sa.text(f"DELETE FROM premises WHERE site_id IN ({synthetic})"))  # noqa: S608
    session.execute(sa.text(f"DELETE FROM site_commune WHERE site_id IN ({synthetic})"))  # noqa: S608
    session.execute(sa.text("DELETE FROM site WHERE slug LIKE 'bench-site-%'"))


def main() -> None:
    """hosting-app's database (DATABASE_URL or the embedded cluster) gets the synthetic set."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--premises", type=int, default=100_000)
    parser.add_argument("--clear", action="store_true", help="only remove the synthetic set")
    args = parser.parse_args()
    from hosting_app import cache, create_app
    from hosting_app.extensions import db

    with create_app().app_context():
        if args.clear:
            clear(db.session)
        else:
            generate(db.session, sites=args.sites, premises=args.premises)
        db.session.commit()
        cache.invalidate()  # plain SQL: the API's response cache did not see these writes


if __name__ == "__main__":
    main()

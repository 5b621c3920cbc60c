"""A test site far from the territory, whose premises sit at known geodesic distances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from geoalchemy2 import Geography, Geometry

from hosting_app.journeys import services
from hosting_app.leads import services as crm
from hosting_app.sites.models import Availability, Premises, PremisesKind, Site, SiteKind

CENTRE = (2.0, 47.0)  # lon, lat: no seeded site within 100 km


@dataclass
class Lab:
    site: Site
    premises: dict[str, Premises]


def _projected(session, metres: float, azimuth_deg: float) -> str:
    """EWKT of the point ``metres`` from CENTRE on the spheroid, towards ``azimuth_deg``."""
    return session.scalar(
        sa.select(
            sa.func.ST_AsEWKT(
                sa.cast(
                    sa.func.ST_Project(
                        sa.cast(sa.func.ST_SetSRID(sa.func.ST_MakePoint(*CENTRE), 4326), Geography),
                        metres,
                        sa.func.radians(azimuth_deg),
                    ),
                    Geometry,
                )
            )
        )
    )


@pytest.fixture
def lab(session) -> Lab:
    """A site with premises of known kinds, surfaces, prices, dates and distances."""
    site = Site(
        name="Site d'essai",
        slug="site-d-essai",
        kind="business_hotel",
        status="existing",
        position_confidence="high",
        point=f"SRID=4326;POINT({CENTRE[0]} {CENTRE[1]})",
        perimeter="SRID=4326;MULTIPOLYGON(((1.99 46.99, 2.01 46.99, 2.01 47.01, 1.99 47.01,"
        " 1.99 46.99)))",
        target_sectors=["health"],
        description="",
    )
    session.add(site)
    session.flush()
    specs = {
        "near": dict(kind=PremisesKind.WORKSHOP, surface_m2=250, rent_eur_m2_year=90,
                     geometry=_projected(session, 999, 45)),
        "edge_out": dict(kind=PremisesKind.WORKSHOP, surface_m2=300, rent_eur_m2_year=120,
                         geometry=_projected(session, 1001, 45)),
        "office": dict(kind=PremisesKind.OFFICE, surface_m2=40, rent_eur_m2_year=150,
                       geometry=_projected(session, 200, 180)),
        "plot": dict(kind=PremisesKind.LAND_PLOT, surface_m2=5000, sale_price_eur_m2=80,
                     geometry=_projected(session, 3000, 90)),
        "later": dict(kind=PremisesKind.WORKSHOP, surface_m2=350, rent_eur_m2_year=100,
                      availability=Availability.UNDER_CONSTRUCTION,
                      available_from=date(2031, 6, 1), geometry=_projected(session, 500, 270)),
        "occupied": dict(kind=PremisesKind.WORKSHOP, surface_m2=260, rent_eur_m2_year=95,
                         availability=Availability.OCCUPIED, geometry=_projected(session, 400, 0)),
        # A plot whose polygon reaches east of 2.05 while its centre lies west of it.
        "wide_plot": dict(kind=PremisesKind.LAND_PLOT, surface_m2=90000, sale_price_eur_m2=40,
                          geometry="SRID=4326;POLYGON((2.03 47.0, 2.06 47.0, 2.06 47.002, "
                                   "2.03 47.002, 2.03 47.0))"),
    }  # fmt: skip
    premises = {}
    for label, spec in specs.items():
        spec.setdefault("availability", Availability.AVAILABLE)
        spec.setdefault("available_from", date(2026, 1, 1))
        premises[label] = Premises(site=site, label=label, is_demo=True, **spec)
        session.add(premises[label])
    session.commit()
    return Lab(site=site, premises=premises)


@pytest.fixture
def incubated(session, lab, senart_dev):
    """Two firms in an incubator far from the territory: terms in 3 and in 9 months."""
    incubator = Site(name="Pépinière d'essai", slug="pepiniere-d-essai", kind=SiteKind.INCUBATOR,
                     status="existing", position_confidence="high", description="",
                     point="SRID=4326;POINT(2.001 47.001)")  # fmt: skip
    session.add(incubator)
    session.flush()
    firms = []
    for number, months in ((1, 3), (2, 9)):
        unit = Premises(site=incubator, label=f"Bureau {number}", kind=PremisesKind.OFFICE,
                        surface_m2=220, availability="available", is_demo=True,
                        geometry="SRID=4326;POINT(2.001 47.001)")  # fmt: skip
        session.add(unit)
        firm = crm.create_firm(session, user=senart_dev, data={"name": f"Jeune Pousse {number}"})
        term = date.today() + timedelta(days=round(30.44 * months))
        services.start_occupancy(session, user=senart_dev, firm=firm, premises=unit,
                                 start_date=term - timedelta(days=1000), term_date=term,
                                 today=date.today())  # fmt: skip
        firms.append(firm)
    session.commit()
    return firms

"""Editorial choices made when loading the reference data, each traceable to its source text.

Nothing here is a new fact about a place: these tables only map the wording of
``data/sites.json`` (operators, descriptions) onto the product's codes.
"""

from __future__ import annotations

from hosting_app.labels import Sector
from hosting_app.sites.models import SiteStatus

# Operator wording in sites.json (its start) → organisation key in organisations.json.
OPERATOR_PREFIXES: tuple[tuple[str, str], ...] = (
    ("SAN de Sénart-en-Essonne", "san_senart_91"),
    ("SAN de Sénart (77)", "san_senart_77"),
    ("SAN de Sénart Ville Nouvelle", "san_senart_77"),
    ("EPA Sénart", "epa_senart"),
    ("CAMVS", "camvs"),
    ("SYMPAV", "sympav"),
)

# Sites that sites.json describes as projects ("projet", "prévu", an extension) rather than
# places in service; every other site is loaded as existing.
PLANNED_SITES: frozenset[str] = frozenset(
    {
        "Extension de la pépinière d'entreprises de Sénart",
        "Hôtel d'entreprises de Sénart-en-Essonne",
        "Pôle de services et pépinière / hôtel d'entreprises de Vaux-le-Pénil (projet)",
        "Village artisanal (CAMVS)",
        "Prélude – pépinière d'entreprises du pôle gare de Melun (projet récent)",
    }
)

# Target sectors stated by each site's description in sites.json.
SECTORS: dict[str, list[Sector]] = {
    "Écopôle de Sénart": [Sector.ECO_ACTIVITIES],
    "Éco-pépinière de l'Écopôle de Sénart": [Sector.ECO_ACTIVITIES],
    "Espace BATIRECO (chantier pilote, Fédération BTP 77)": [Sector.BUILDING],
    "Zone industrielle / ZAE de Vaux-le-Pénil (requalification)": [Sector.BUILDING],
    "Village artisanal (CAMVS)": [Sector.CRAFTS],
    "Pôle aéronautique Paris-Villaroche (Paris-Villaroche Aeronautics & Technology Park)": [
        Sector.AERONAUTICS
    ],
    "Parc d'activités Parisud": [Sector.LOGISTICS],
    "Parc d'activités de l'A5-Sénart": [Sector.LOGISTICS],
}

# The OIN / ville nouvelle de Sénart (EPA Sénart's perimeter): intercommunalities.json notes.
EPA_SENART_COMMUNES: tuple[str, ...] = (
    "77067",
    "77122",
    "77251",
    "77296",
    "77326",
    "77384",
    "77445",
    "77495",
    "91573",
    "91617",
)

# Names of the 2011 intercommunalities in communes.json → organisation key.
INTERCOMMUNALITY_NAMES: dict[str, str] = {
    "SAN de Sénart Ville Nouvelle": "san_senart_77",
    "SAN de Sénart-en-Essonne": "san_senart_91",
    "Communauté d'agglomération Melun Val de Seine (CAMVS)": "camvs",
}


def status_of(name: str) -> SiteStatus:
    """Planned for the sites described as projects, existing otherwise."""
    return SiteStatus.PLANNED if name in PLANNED_SITES else SiteStatus.EXISTING


def operator_key(operator: str | None) -> str | None:
    """The organisation key that the operator wording names first, if any."""
    for prefix, key in OPERATOR_PREFIXES:
        if operator and operator.startswith(prefix):
            return key
    return None

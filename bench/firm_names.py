"""Synthetic French firms for benchmarks: names, SIRETs, addresses and CSV files, all fake.

Names combine trade words, common French surnames, places of Sénart / Melun Val de Seine and
legal forms, with accents and punctuation varied the way people type them. SIRETs are
generated, Luhn-correct and unique per index, **synthetic** (any resemblance to a real
establishment is chance) and never La Poste's (SIREN 356000000, another check rule).
Everything is deterministic for a given seed.

    .venv/bin/python -m bench.firm_names --rows 1000 --format sirene /tmp/sirene.csv
"""

from __future__ import annotations

import argparse
import csv
import random
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import phonenumbers

from hosting_app.leads.dedup import normalise_name

# (trade word, sector of hosting_app.labels.Sector or None, NAF code rev. 2)
TRADES = [
    ("Transports", "logistics", "49.41A"), ("Logistique", "logistics", "52.29A"),
    ("Déménagements", "logistics", "49.42Z"), ("Distribution", "logistics", "46.90Z"),
    ("Menuiserie", "building", "43.32A"), ("Plomberie", "building", "43.22A"),
    ("Chauffage", "building", "43.22B"), ("Électricité", "building", "43.21A"),
    ("Maçonnerie", "building", "43.99C"), ("Charpente", "building", "43.91A"),
    ("Couverture", "building", "43.91B"), ("Peinture", "building", "43.34Z"),
    ("Bâtiment", "building", "41.20A"), ("Travaux Publics", "building", "42.11Z"),
    ("Métallerie", "building", "25.11Z"), ("Serrurerie", "building", "43.32B"),
    ("Boulangerie", "crafts", "10.71C"), ("Pâtisserie", "crafts", "10.71D"),
    ("Boucherie", "crafts", "47.22Z"), ("Traiteur", "crafts", "56.21Z"),
    ("Coiffure", "crafts", "96.02A"), ("Ébénisterie", "crafts", "31.09B"),
    ("Garage", None, "45.20A"), ("Carrosserie", None, "45.20A"),
    ("Conseil", None, "70.22Z"), ("Informatique", None, "62.02A"),
    ("Numérique", None, "62.01Z"), ("Imprimerie", None, "18.12Z"),
    ("Nettoyage", None, "81.21Z"), ("Sécurité", None, "80.10Z"),
    ("Formation", None, "85.59A"), ("Ingénierie", None, "71.12B"),
    ("Architecture", None, "71.11Z"), ("Expertise Comptable", None, "69.20Z"),
    ("Immobilier", None, "68.31Z"), ("Emballages", None, "17.21A"),
    ("Mécanique", "aeronautics", "25.62B"), ("Usinage", "aeronautics", "25.62B"),
    ("Aéro", "aeronautics", "30.30Z"), ("Aéronautique", "aeronautics", "30.30Z"),
    ("Composites", "aeronautics", "22.29A"), ("Chaudronnerie", "aeronautics", "25.29Z"),
    ("Recyclage", "eco_activities", "38.32Z"), ("Environnement", "eco_activities", "39.00Z"),
    ("Énergies", "eco_activities", "35.11Z"), ("Paysage", "eco_activities", "81.30Z"),
    ("Ambulances", "health", "86.90A"), ("Optique", "health", "47.78A"),
    ("Kinésithérapie", "health", "86.90E"), ("Aide à Domicile", "personal_services", "88.10A"),
    ("Services à la Personne", "personal_services", "88.10A"),
    ("Insertion", "ess", "88.99B"), ("Recyclerie", "ess", "38.32Z"),
]  # fmt: skip

SURNAMES = """
Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefèbvre
Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent
Muller Lefèvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand
Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Gautier Masson
Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun Blanchard Giraud Joly
Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche Renard Schmitt Roy Leroux
Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier Philippe
Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq Guillaume Lecomte Lopez Jean Dupuy
Guillot Hubert Berger Carpentier Sanchez Dupuis Moulin Louis Deschamps Huet Vasseur Perez
Boucher Fleury Royer Klein Jacquet Adam Paris Poirier Marty Aubry Guyot Carré Charles Renault
Charpentier Ménard Maillard Baron Bertin Bailly Hervé Schneider Fernandez Le-Gall Collet Léger
Bouvier Julien Prévost Millet Perrot Daniel Le-Roux Cousin Germain Breton Besson Langlois Rémy
Le-Goff Pelletier Lévêque Perrier Leblanc Barré Lebrun Marchal Weber Mallet Hamon Boulanger
Jacob Monnier Michaud Rodriguez Guichard Gillet Étienne Grondin Poulain Tessier Chevallier
Collin Chauvin Da-Silva Bouchet Gay Lemaître Bénard Maréchal Humbert Reynaud Antoine Hoarau
Perret Barthélemy Cordier Pichon Lejeune Gilbert Lamy Delaunay Pasquier Carlier Laporte
Gomez Lacombe Hamel Bigot Chauvet Rossi Baudry Maury Texier Leconte Rey Bouchard Boyer
Marin Vallée Blondel Thibault Delmas Navarro Guillon Ferrand Delattre Devaux Buisson Hoareau
Jourdan Tanguy Briand Raynaud Ollivier Pons Jacques Coste Marechal Sauvage Gros Bastien
Chauveau Descamps Hardy Launay Gomes Bertrand Delorme Lebon Bouvet Thierry Fouquet Besnard
Lemonnier Leduc Guillou Camus Lesage Potier Vaillant Auger Riviere Dumont Tournier Pruvost
Barre Parent Riou Marechal Coulon Jouve Lelièvre Rigaud Vial Delage Mousset Gosselin Labbé
Ferreira Hebert Duhamel Barbe Allard Fischer Bouchez Lucas Verdier Maillot Grenier Fabre
Wagner Bodin Joubert Cartier Lenoir Courtois Ricard Pottier Dos-Santos Moulin Colas Legendre
""".split()  # noqa: SIM905 - a list as it is written
SURNAMES = sorted({name.replace("-", " ") for name in SURNAMES})

# (INSEE code, commune, postcode) of the territory: the seed's communes
COMMUNES = [
    ("77038", "Boissettes", "77350"), ("77039", "Boissise-la-Bertrand", "77350"),
    ("77040", "Boissise-le-Roi", "77310"), ("77067", "Cesson", "77240"),
    ("77122", "Combs-la-Ville", "77380"), ("77152", "Dammarie-les-Lys", "77190"),
    ("77251", "Lieusaint", "77127"), ("77252", "Limoges-Fourches", "77550"),
    ("77253", "Lissy", "77550"), ("77255", "Livry-sur-Seine", "77000"),
    ("77269", "Maincy", "77950"), ("77285", "Le Mée-sur-Seine", "77350"),
    ("77288", "Melun", "77000"), ("77296", "Moissy-Cramayel", "77550"),
    ("77306", "Montereau-sur-le-Jard", "77950"), ("77326", "Nandy", "77176"),
    ("77378", "Pringy", "77310"), ("77384", "Réau", "77550"),
    ("77389", "La Rochette", "77000"), ("77394", "Rubelles", "77950"),
    ("77407", "Saint-Fargeau-Ponthierry", "77310"), ("77410", "Saint-Germain-Laxis", "77950"),
    ("77445", "Savigny-le-Temple", "77176"), ("77447", "Seine-Port", "77240"),
    ("77487", "Vaux-le-Pénil", "77000"), ("77495", "Vert-Saint-Denis", "77240"),
    ("77518", "Villiers-en-Bière", "77190"), ("77528", "Voisenon", "77950"),
    ("91435", "Morsang-sur-Seine", "91250"), ("91573", "Saint-Pierre-du-Perray", "91280"),
    ("91577", "Saintry-sur-Seine", "91250"), ("91617", "Tigery", "91250"),
]  # fmt: skip
PLACES = [
    "Sénart", "Melun", "Lieusaint", "Savigny", "Combs", "Moissy", "Cesson", "Réau", "Nandy",
    "Tigery", "Villaroche", "Brie", "Val de Seine", "Carré Sénart", "Vaux", "Dammarie",
    "Ponthierry", "Le Mée", "Seine", "Île-de-France", "Sud 77", "Melun Sénart",
]  # fmt: skip
LEGAL_FORMS = ["SAS", "SARL", "EURL", "SA", "SCI", "SASU", "S.A.R.L.", "SNC"]
QUALIFIERS = [
    "Services", "Industrie", "Pro", "Plus", "Express", "Solutions", "Concept", "Technologies",
    "Rénovation", "Artisanale", "Moderne", "Générale", "Nouvelle", "Centrale", "Associés",
]  # fmt: skip
BRAND_HEADS = ["Logi", "Méca", "Aéro", "Techni", "Bati", "Éco", "Info", "Sén", "Mel", "Trans",
               "Val", "Euro", "Inter", "Multi", "Élec", "Hydro", "Métal", "Proxi", "Agri", "Bio"]  # fmt: skip
BRAND_TAILS = ["sud", "nord", "tec", "pro", "plus", "com", "ex", "art", "sys", "one", "lys",
               "tek", "ia", "vert", "flux", "net", "iso", "lab", "méca", "bat"]  # fmt: skip
STREET_TYPES = [("RUE", 45), ("AV", 15), ("BD", 6), ("ALL", 8), ("CHE", 6), ("RTE", 6),
                ("PL", 4), ("IMP", 5), ("QUAI", 2), ("SQ", 3)]  # fmt: skip
STREET_NAMES = [
    "DE LA PAIX", "JEAN JAURES", "DU GENERAL LECLERC", "DES ETANGS", "DE PARIS", "DE MELUN",
    "PASTEUR", "VICTOR HUGO", "DE LA GARE", "DES FRERES MONTGOLFIER", "DU CHATEAU",
    "DE L EUROPE", "DES MARGUERITTES", "DU LUYS", "DE LA MARE", "DU MOULIN", "DES PEUPLIERS",
    "CHARLES DE GAULLE", "DE LA REPUBLIQUE", "DU BOIS DES SAINTS PERES", "DE SAVIGNY",
    "HENRI BARBUSSE", "DES CHAMPS", "DE LA LIBERATION", "DE L INDUSTRIE", "DU CLOS", "DE CORBEIL",
]  # fmt: skip
EMAIL_WEBMAILS = ["gmail.com", "orange.fr", "wanadoo.fr", "free.fr", "laposte.net"]
WORKFORCE_BANDS = ["NN", "00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41"]
WORKFORCE_WEIGHTS = [30, 10, 18, 12, 9, 8, 6, 3, 2, 1, 0.6, 0.4]

# Official header of INSEE's StockEtablissement CSV (Sirene v3.11, UTF-8, comma-separated).
SIRENE_HEADER = [
    "siren", "nic", "siret", "statutDiffusionEtablissement", "dateCreationEtablissement",
    "trancheEffectifsEtablissement", "anneeEffectifsEtablissement",
    "activitePrincipaleRegistreMetiersEtablissement", "dateDernierTraitementEtablissement",
    "etablissementSiege", "nombrePeriodesEtablissement", "complementAdresseEtablissement",
    "numeroVoieEtablissement", "indiceRepetitionEtablissement", "dernierNumeroVoieEtablissement",
    "indiceRepetitionDernierNumeroVoieEtablissement", "typeVoieEtablissement",
    "libelleVoieEtablissement", "codePostalEtablissement", "libelleCommuneEtablissement",
    "libelleCommuneEtrangerEtablissement", "distributionSpecialeEtablissement",
    "codeCommuneEtablissement", "codeCedexEtablissement", "libelleCedexEtablissement",
    "codePaysEtrangerEtablissement", "libellePaysEtrangerEtablissement",
    "identifiantAdresseEtablissement", "coordonneeLambertAbscisseEtablissement",
    "coordonneeLambertOrdonneeEtablissement", "complementAdresse2Etablissement",
    "numeroVoie2Etablissement", "indiceRepetition2Etablissement", "typeVoie2Etablissement",
    "libelleVoie2Etablissement", "codePostal2Etablissement", "libelleCommune2Etablissement",
    "libelleCommuneEtranger2Etablissement", "distributionSpeciale2Etablissement",
    "codeCommune2Etablissement", "codeCedex2Etablissement", "libelleCedex2Etablissement",
    "codePaysEtranger2Etablissement", "libellePaysEtranger2Etablissement", "dateDebut",
    "etatAdministratifEtablissement", "enseigne1Etablissement", "enseigne2Etablissement",
    "enseigne3Etablissement", "denominationUsuelleEtablissement",
    "activitePrincipaleEtablissement", "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
]  # fmt: skip
PROJECT_HEADER = [
    "siret", "siren", "name", "trade_name", "legal_form", "naf_code", "workforce_band",
    "address", "postcode", "city", "website", "email", "phone", "sector",
]  # fmt: skip
LA_POSTE_SIREN = "356000000"


def luhn_complete(payload: str) -> str:
    """``payload`` followed by the digit that makes it pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:  # doubled once the check digit is appended
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return payload + str((10 - total % 10) % 10)


def synthetic_siren(index: int) -> str:
    """A Luhn-correct SIREN, distinct for each index below 10**8, never La Poste's."""
    body = (index * 7_919_317 + 12_345_678) % 100_000_000  # a bijection of [0, 10**8)
    siren = luhn_complete(f"{body:08d}")
    return luhn_complete(f"{(body + 1) % 100_000_000:08d}") if siren == LA_POSTE_SIREN else siren


def synthetic_siret(siren: str, establishment: int) -> str:
    """A Luhn-correct SIRET of ``siren`` (establishment 1, 2, …)."""
    return luhn_complete(f"{siren}{establishment:04d}")


def strip_accents(text: str) -> str:
    """« Sénart » → « Senart »."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slug(text: str) -> str:
    """« Éco-Rénov Services » → « eco-renov-services »."""
    words = "".join(c if c.isalnum() else " " for c in strip_accents(text).lower()).split()
    return "-".join(words)[:40].strip("-") or "entreprise"


def firm_name(rng: random.Random) -> tuple[str, int]:
    """A plausible firm name and the index of its trade in TRADES."""
    trade_index = rng.randrange(len(TRADES))
    trade = TRADES[trade_index][0]
    surname = rng.choice(SURNAMES)
    place = rng.choice(PLACES)
    form = rng.choice(LEGAL_FORMS)
    pattern = rng.randrange(16)
    if pattern == 0:
        name = f"{trade} {surname}"
    elif pattern == 1:
        name = f"{surname} {trade}"
    elif pattern == 2:
        name = f"{trade} {surname} {form}"
    elif pattern == 3:
        name = f"{rng.choice(['Ets', 'Établissements', 'ETS'])} {surname}"
    elif pattern == 4:
        name = f"{surname} {rng.choice(['& Fils', 'et Fils', '& Cie', 'Frères'])}"
    elif pattern == 5:
        link = "d'" if strip_accents(place)[0] in "AEIOUY" else "de "
        name = f"{trade} {link}{place}"
    elif pattern == 6:
        name = f"{rng.choice(BRAND_HEADS)}{rng.choice(BRAND_TAILS)} {trade}"
    elif pattern == 7:
        name = f"{rng.choice(BRAND_HEADS)}{rng.choice(BRAND_TAILS)} {form}"
    elif pattern == 8:
        name = f"{surname}-{rng.choice(SURNAMES)} {trade}"
    elif pattern == 9:
        name = f"Sté {trade} {surname}"
    elif pattern == 10:
        other = rng.choice(TRADES)[0]
        name = f"{trade} {rng.choice(['&', 'et'])} {other} {surname}"
    elif pattern == 11:
        name = f"L'Atelier {rng.choice(['de', 'du'])} {surname}"
    elif pattern == 12:
        initials = "".join(rng.choice("ABCDEFGHJLMNPRSTV") for _ in range(rng.choice([2, 3])))
        dotted = rng.random() < 0.4
        name = f"{'.'.join(initials) + '.' if dotted else initials} {trade}"
    elif pattern == 13:
        name = f"{trade} {place} {form}"
    elif pattern == 14:
        name = f"{trade} {rng.choice(QUALIFIERS)} {surname}"
    else:
        name = f"{surname} {trade} {rng.choice(QUALIFIERS)}"
    style = rng.random()
    if style < 0.15:
        name = strip_accents(name).upper()
    elif style < 0.22:
        name = name.upper()
    elif style < 0.27:
        name = strip_accents(name)
    return name, trade_index


def name_variant(name: str, rng: random.Random) -> str:
    """How someone may type an existing firm's name: accents dropped, legal form changed,
    « & » ↔ « et », a typo, words swapped, another case."""
    words = name.split()
    kind = rng.randrange(7)
    if kind == 0:
        return strip_accents(name)
    if kind == 1:
        forms = {f.replace(".", "") for f in LEGAL_FORMS}
        kept = [w for w in words if w.upper().replace(".", "") not in forms]
        return " ".join(kept + [rng.choice(LEGAL_FORMS)])
    if kind == 2 and ("&" in words or "et" in words):
        return " ".join("et" if w == "&" else "&" if w == "et" else w for w in words)
    if kind == 3 and len(words) > 1:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
        return " ".join(words)
    if kind == 4:
        return name.lower() if rng.random() < 0.5 else name.upper()
    long_words = [i for i, w in enumerate(words) if len(w) > 4]
    if not long_words:
        return strip_accents(name).lower()
    i = rng.choice(long_words)
    word = words[i]
    j = rng.randrange(1, len(word) - 1)
    typo = rng.randrange(3)
    if typo == 0:
        word = word[:j] + word[j + 1 :]  # a letter dropped
    elif typo == 1:
        word = word[:j] + word[j + 1] + word[j] + word[j + 2 :]  # two letters swapped
    else:
        word = word[:j] + rng.choice("aeinrstu") + word[j + 1 :]  # a letter replaced
    words[i] = word
    return " ".join(words)


UNRELATED_HEADS = ["Cabinet", "Librairie", "Bijouterie", "Cordonnerie", "Galerie", "Studio",
                   "Agence", "Horlogerie", "Brasserie", "Herboristerie", "Mercerie", "Tapisserie"]  # fmt: skip
UNRELATED_TAILS = ["Horizon", "Arc-en-Ciel", "des Quatre Saisons", "de la Belle Étoile",
                   "des Trois Chênes", "du Grand Large", "Pavillon Bleu", "Clair Matin",
                   "des Oliviers", "Saint-Exupéry", "Rive Gauche", "Alizé"]  # fmt: skip


def unrelated_name(rng: random.Random) -> str:
    """A name made of words the generator never uses for firms."""
    return f"{rng.choice(UNRELATED_HEADS)} {rng.choice(UNRELATED_TAILS)}"


def phone_number(rng: random.Random) -> str:
    """A valid French number (Sénart landline or mobile), written one of the usual ways."""
    while True:
        if rng.random() < 0.7:
            digits = f"016{rng.choice('0134')}{rng.randrange(1_000_000):06d}"
        else:
            digits = f"0{rng.choice('67')}{rng.randrange(100_000_000):08d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(digits, "FR")):
            break
    pairs = [digits[i : i + 2] for i in range(0, 10, 2)]
    style = rng.randrange(4)
    if style == 0:
        return " ".join(pairs)
    if style == 1:
        return ".".join(pairs)
    if style == 2:
        return digits
    return "+33 " + digits[1] + " " + " ".join(pairs[1:])


@dataclass(frozen=True)
class SyntheticFirm:
    """One generated establishment (all values fake)."""

    siren: str
    siret: str | None
    name: str
    trade_name: str | None
    legal_form: str | None
    naf_code: str
    workforce_band: str
    street_number: str
    street_type: str
    street_name: str
    postcode: str
    city: str
    commune_insee: str
    website: str | None
    email: str | None
    phone: str | None
    sector: str | None
    closed: bool

    @property
    def address(self) -> str:
        """« 12 RUE DE LA PAIX »."""
        return f"{self.street_number} {self.street_type} {self.street_name}".strip()


def firms(count: int, *, seed: int = 42, start: int = 0, without_siret: float = 0.0,
          closed: float = 0.0) -> Iterator[SyntheticFirm]:  # fmt: skip
    """``count`` synthetic establishments; index ``start`` onwards gives distinct SIRETs."""
    rng = random.Random(f"{seed}-{start}")  # noqa: S311 - fake data
    street_types = [t for t, _ in STREET_TYPES]
    street_weights = [w for _, w in STREET_TYPES]
    index = start
    produced = 0
    unidentified: set[tuple[str, str]] = set()  # (normalised name, postcode) of rows without SIRET
    while produced < count:
        siren = synthetic_siren(index)
        index += 1
        establishments = rng.choices([1, 2, 3], weights=[85, 10, 5])[0]
        name, trade_index = firm_name(rng)
        normalised = normalise_name(name)
        _, sector, naf = TRADES[trade_index]
        legal_form = rng.choice(LEGAL_FORMS) if rng.random() < 0.5 else None
        for establishment in range(1, establishments + 1):
            if produced >= count:
                break
            insee, city, postcode = rng.choice(COMMUNES)
            siret = None if rng.random() < without_siret else synthetic_siret(siren, establishment)
            if siret is None:
                if (normalised, postcode) in unidentified:  # the import would see one firm
                    siret = synthetic_siret(siren, establishment)
                unidentified.add((normalised, postcode))
            site = slug(name)
            email = None
            if rng.random() < 0.4:
                domain = rng.choice(EMAIL_WEBMAILS) if rng.random() < 0.25 else f"{site}.fr"
                local = rng.choice(["contact", "accueil", "direction", site[:12].strip("-")])
                email = f"{local}@{domain}"
            yield SyntheticFirm(
                siren=siren,
                siret=siret,
                name=name,
                trade_name=f"{name.split()[0]} {city}" if rng.random() < 0.1 else None,
                legal_form=legal_form,
                naf_code=naf,
                workforce_band=rng.choices(WORKFORCE_BANDS, weights=WORKFORCE_WEIGHTS)[0],
                street_number=str(rng.randrange(1, 180)) if rng.random() < 0.9 else "",
                street_type=rng.choices(street_types, weights=street_weights)[0],
                street_name=rng.choice(STREET_NAMES),
                postcode=postcode,
                city=city,
                commune_insee=insee,
                website=f"https://www.{site}.fr" if rng.random() < 0.3 else None,
                email=email,
                phone=phone_number(rng) if rng.random() < 0.6 else None,
                sector=sector if sector and rng.random() < 0.6 else None,
                closed=rng.random() < closed,
            )  # fmt: skip
            produced += 1


def project_row(firm: SyntheticFirm) -> list[str]:
    """The firm as a row of the project's CSV format (PROJECT_HEADER)."""
    return [
        firm.siret or "", firm.siren if firm.siret is None else "", firm.name,
        firm.trade_name or "", firm.legal_form or "", firm.naf_code, firm.workforce_band,
        firm.address, firm.postcode, firm.city, firm.website or "", firm.email or "",
        firm.phone or "", firm.sector or "",
    ]  # fmt: skip


def sirene_row(firm: SyntheticFirm, rng: random.Random) -> list[str]:
    """The firm as a row of INSEE's StockEtablissement CSV (SIRENE_HEADER)."""
    name = strip_accents(firm.name).upper()
    naming = rng.random()
    denomination = name if naming < 0.5 else ""
    sign = name if 0.45 <= naming < 0.93 else ""  # 7 % have neither: no name in this file
    siret = firm.siret or luhn_complete(f"{firm.siren}0001")
    x = 655_000 + rng.randrange(25_000)
    y = 6_820_000 + rng.randrange(30_000)
    values = {
        "siren": firm.siren,
        "nic": siret[9:],
        "siret": siret,
        "statutDiffusionEtablissement": "O",
        "dateCreationEtablissement": f"{rng.randrange(1975, 2025)}-{rng.randrange(1, 13):02d}-01",
        "trancheEffectifsEtablissement": "" if firm.workforce_band == "NN" else firm.workforce_band,
        "anneeEffectifsEtablissement": "2023" if firm.workforce_band != "NN" else "",
        "dateDernierTraitementEtablissement": "2025-03-01T02:11:55",
        "etablissementSiege": "true" if siret[9:13] == "0001" else "false",
        "nombrePeriodesEtablissement": "1",
        "numeroVoieEtablissement": firm.street_number,
        "typeVoieEtablissement": firm.street_type,
        "libelleVoieEtablissement": firm.street_name,
        "codePostalEtablissement": firm.postcode,
        "libelleCommuneEtablissement": strip_accents(firm.city).upper(),
        "codeCommuneEtablissement": firm.commune_insee,
        "identifiantAdresseEtablissement": f"{firm.commune_insee}_{rng.randrange(10_000):04d}",
        "coordonneeLambertAbscisseEtablissement": f"{x}.{rng.randrange(10)}",
        "coordonneeLambertOrdonneeEtablissement": f"{y}.{rng.randrange(10)}",
        "dateDebut": "2020-01-01",
        "etatAdministratifEtablissement": "F" if firm.closed else "A",
        "enseigne1Etablissement": sign,
        "denominationUsuelleEtablissement": denomination,
        "activitePrincipaleEtablissement": firm.naf_code,
        "nomenclatureActivitePrincipaleEtablissement": "NAFRev2",
        "caractereEmployeurEtablissement": "O" if firm.workforce_band not in ("NN", "00") else "N",
    }
    return [values.get(column, "") for column in SIRENE_HEADER]


def write_csv(path: Path, rows: Iterable[SyntheticFirm], *, kind: str, seed: int = 42,
              delimiter: str = ",") -> int:  # fmt: skip
    """Write ``rows`` as a SIRENE (``kind="sirene"``) or project CSV file; return the count."""
    rng = random.Random(seed)  # noqa: S311 - fake data
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter=delimiter)
        writer.writerow(SIRENE_HEADER if kind == "sirene" else PROJECT_HEADER)
        for firm in rows:
            writer.writerow(sirene_row(firm, rng) if kind == "sirene" else project_row(firm))
            count += 1
    return count


def main() -> None:
    """Write a synthetic CSV file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--format", choices=["sirene", "project"], default="project")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--start", type=int, default=0, help="first SIREN index")
    args = parser.parse_args()
    rows = firms(args.rows, seed=args.seed, start=args.start,
                 closed=0.08 if args.format == "sirene" else 0.0,
                 without_siret=0.0 if args.format == "sirene" else 0.05)  # fmt: skip
    count = write_csv(args.path, rows, kind=args.format, seed=args.seed)
    print(f"{count} lignes écrites dans {args.path}")


if __name__ == "__main__":
    main()

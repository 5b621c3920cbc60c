"""Duplicate detection, as pure functions: name normalisation and candidate scoring.

The database finds candidates (same SIRET/SIREN, trigram-similar normalised name, same
email domain or phone); these rules decide how alike they are and say why, in French.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Legal forms and words that say nothing about which firm it is.
LEGAL_FORMS = frozenset(
    {
        "sa", "sas", "sasu", "sarl", "eurl", "snc", "sci", "scop", "scp", "scic", "scs", "sca",
        "sel", "selarl", "selas", "selafa", "sem", "spl", "gie", "ei", "eirl", "earl", "gaec",
        "micro", "auto", "entrepreneur", "sc", "association", "asso", "fondation",
        "societe", "ste", "ets", "etablissement", "etablissements", "cie", "compagnie", "groupe",
    }
)  # fmt: skip
STOP_WORDS = frozenset(
    {"de", "du", "des", "la", "le", "les", "l", "d", "et", "en", "au", "aux", "a", "sur", "pour"}
)
ACRONYM_DOTS = re.compile(r"\b([a-z0-9])\.(?=[a-z0-9]\b|\s|$)")
NOT_WORD = re.compile(r"[^a-z0-9]+")


class _Unaccented(dict):
    """Code point → its NFKD decomposition without combining marks, worked out once per
    character (for ``str.translate``). The same as decomposing the whole text: NFKD works
    character by character, and its reordering only moves the marks that are dropped."""

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(code))
        self[code] = value = "".join(c for c in decomposed if not unicodedata.combining(c))
        return value


_UNACCENTED = _Unaccented()


def strip_accents(text: str) -> str:
    """« Société Générale » → « Societe Generale »."""
    if text.isascii():
        return text
    return text.translate(_UNACCENTED).replace("œ", "oe")


def normalise_name(name: str) -> str:
    """Comparable form of a firm name: lower case, no accents, punctuation, legal forms or
    stop words; « & » reads as « et ». « Sté Aéro-Méca de Sénart » → « aero meca senart »."""
    text = strip_accents(name.lower()).replace("&", " et ").replace("'", " ").replace("’", " ")
    text = ACRONYM_DOTS.sub(r"\1", text)  # « s.a.r.l. » → « sarl »
    words = [w for w in NOT_WORD.split(text) if w]
    kept = [w for w in words if w not in LEGAL_FORMS and w not in STOP_WORDS]
    return " ".join(kept) if kept else " ".join(words)


@dataclass(frozen=True)
class Probe:
    """What is known of the firm about to be created."""

    name: str = ""
    siret: str | None = None
    siren: str | None = None
    email_domain: str | None = None
    phone: str | None = None
    postcode: str | None = None


@dataclass(frozen=True)
class Candidate:
    """An existing firm, with the trigram similarity of its normalised name to the probe's."""

    firm_id: int
    name_similarity: float
    siret: str | None = None
    siren: str | None = None
    email_domain: str | None = None
    phone: str | None = None
    postcode: str | None = None


@dataclass(frozen=True)
class Match:
    """A candidate's score (0–1) and the reasons for it."""

    firm_id: int
    score: float
    reasons: tuple[str, ...] = field(default_factory=tuple)


SHOW_FROM = 0.45  # candidates below this score are not shown
LIKELY_FROM = 0.75  # « probablement la même entreprise »
NAME_FLOOR = 0.3  # name similarity under which the name counts for nothing
SAME_NAME = 0.999  # name similarity from which the name counts whole
NAME_WEIGHT = 0.8  # a name counts 0.8 × its similarity
SAME_POSTCODE = 0.1  # what the same postcode adds to a score that has a reason already
HALF_STEP = 0.0005  # scores are rounded to three decimals


def score(probe: Probe, candidate: Candidate) -> Match:
    """How likely ``candidate`` is the probe's firm, and why."""
    reasons: list[str] = []
    value = 0.0
    siren = probe.siren or (probe.siret[:9] if probe.siret else None)
    if probe.siret and candidate.siret == probe.siret:
        return Match(candidate.firm_id, 1.0, ("SIRET identique",))
    if siren and candidate.siren == siren:
        value = 0.85
        reasons.append("même SIREN (même entreprise, autre établissement)")
    similarity = candidate.name_similarity
    if similarity >= SAME_NAME:
        value = max(value, NAME_WEIGHT)
        reasons.append("même nom")
    elif similarity >= NAME_FLOOR:
        value = max(value, NAME_WEIGHT * similarity)
        reasons.append(f"nom proche ({round(similarity * 100)} %)")
    if probe.email_domain and candidate.email_domain == probe.email_domain:
        value += 0.3
        reasons.append(f"même domaine de messagerie ({probe.email_domain})")
    if probe.phone and candidate.phone == probe.phone:
        value += 0.35
        reasons.append("même téléphone")
    if probe.postcode and candidate.postcode == probe.postcode and value > 0:
        value += SAME_POSTCODE
        reasons.append(f"même code postal ({probe.postcode})")
    if (
        probe.siret
        and candidate.siret
        and candidate.siret != probe.siret
        and not siren_matches(siren, candidate)
    ):
        value -= 0.3  # two different companies' SIRETs: names alike, firms distinct
        reasons.append("SIRET différents")
    return Match(candidate.firm_id, round(max(0.0, min(value, 1.0)), 3), tuple(reasons))


def name_floor(level: float, *, same_postcode: bool = False) -> float | None:
    """The least name similarity with which a firm that shares nothing else with the probe
    (but its postcode, when ``same_postcode``) can score ``level`` or more; None if it
    cannot. Every firm under it scores at most ``level`` − 0.001."""
    needed = level - HALF_STEP - (SAME_POSTCODE if same_postcode else 0.0)
    if needed > NAME_WEIGHT:
        return None
    if needed > NAME_WEIGHT * SAME_NAME:
        return SAME_NAME
    return max(NAME_FLOOR, needed / NAME_WEIGHT - 1e-9)


def settled(matches: list[Match], *, level: float, limit: int) -> bool:
    """Whether the best ``limit`` matches are known although only the firms able to score
    ``level`` on their name were looked for: ``limit`` of them score that much already."""
    return sum(1 for m in matches if m.score >= level) >= limit


def siren_matches(siren: str | None, candidate: Candidate) -> bool:
    """Whether the candidate has the probe's SIREN."""
    return bool(siren) and candidate.siren == siren


def rank(probe: Probe, candidates: list[Candidate], *, limit: int = 5) -> list[Match]:
    """The candidates worth showing, best first."""
    matches = [score(probe, c) for c in candidates]
    shown = [m for m in matches if m.score >= SHOW_FROM]
    return sorted(shown, key=lambda m: (-m.score, m.firm_id))[:limit]

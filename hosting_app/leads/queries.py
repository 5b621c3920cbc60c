"""Queries of the CRM; each returns a Select."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from hosting_app.auth.models import Organisation
from hosting_app.leads import dedup
from hosting_app.leads.dedup import Probe
from hosting_app.leads.models import Firm, FirmName, Interaction, Lead

CANDIDATES = 30  # firms fetched per kind of evidence (identifiers, name), best first


# What scoring needs of a candidate firm, but its name similarity.
_FIRM_COLUMNS = (
    Firm.id, Firm.siret, Firm.siren, Firm.email_domain, Firm.phone, Firm.postcode, Firm.name,
    Firm.city,
)  # fmt: skip


def _candidate_columns(similarity) -> tuple:
    return (_FIRM_COLUMNS[0], similarity.label("similarity"), *_FIRM_COLUMNS[1:])


def identified(probe: Probe, normalised_name: str) -> sa.Select | None:
    """Firms that share an identifier with the probe — SIRET, SIREN, email domain or phone,
    each served by its btree index — same SIRET and SIREN first; None if the probe has none."""
    siren = probe.siren or (probe.siret[:9] if probe.siret else None)
    conditions = []
    if probe.siret:
        conditions.append(Firm.siret == probe.siret)
    if siren:
        conditions.append(Firm.siren == siren)
    if probe.email_domain:
        conditions.append(Firm.email_domain == probe.email_domain)
    if probe.phone:
        conditions.append(Firm.phone == probe.phone)
    if not conditions:
        return None
    similarity = sa.func.similarity(Firm.name_normalised, normalised_name)
    ids = sa.union(*(sa.select(Firm.id).where(c) for c in conditions)).subquery()
    first = [sa.case((c, 0), else_=1) for c in conditions[: bool(probe.siret) + bool(siren)]]
    return (
        sa.select(*_candidate_columns(similarity))
        .join(ids, ids.c.id == Firm.id)
        .where(Firm.merged_into_id.is_(None))
        .order_by(*first, similarity.desc(), Firm.id)
        .limit(CANDIDATES)
    )


# The similarity the ``%`` operator is set to: under every floor of the name searches, which
# hold each band of names to its own by padding the probe (see ``_ALIKE_NAMES``).
LOOSE = 0.3


def name_search_settings() -> sa.Select:
    """The settings of the transaction's name searches: ``LOOSE`` for the ``%`` operator, no
    sequential scan and no JIT compilation. pg_trgm declares ``%`` as cheap as an equality,
    so that below some 20,000 names the planner reads the whole table instead of the trigram
    index, computing every name's similarity (about 2 µs each: 8 ms for 3,750 firms, against
    2 ms by the index, measured); and the estimate of the firms of the names alike, far above
    what the limit lets run, would have JIT compile the query (10 ms a match)."""
    return sa.select(
        sa.func.set_config("pg_trgm.similarity_threshold", str(LOOSE), True),
        sa.func.set_config("enable_seqscan", "off", True),
        sa.func.set_config("jit", "off", True),
    )


# Back to the planner's usual choices for the rest of the transaction (JIT stays off: the
# transaction's other statements are short).
NAME_SEARCH_DONE = sa.select(sa.func.set_config("enable_seqscan", "on", True))


def _de_bruijn(digits: int, window: int) -> str:
    """A string of the ``digits`` first digits in which every ``window`` of them appears
    exactly once (a de Bruijn sequence, by the classic recursive construction)."""
    sequence: list[int] = []
    work = [0] * digits * window

    def extend(t: int, period: int) -> None:
        if t > window:
            if window % period == 0:
                sequence.extend(work[1 : period + 1])
            return
        work[t] = work[t - period]
        extend(t + 1, period)
        for digit in range(work[t - period] + 1, digits):
            work[t] = digit
            extend(t + 1, t)

    extend(1, 1)
    return "".join(map(str, sequence))


# A word of the first n of these digits has n + 1 trigrams (its three-digit windows, all
# distinct, and its two ends), which a firm's name seldom holds: what pads a probe.
PADDING = _de_bruijn(10, 3)


def _alike_names_sql() -> str:
    """The names at least ``:floor``-similar to ``:probe``, with their similarity, band by band.

    A name of b trigrams sharing c of the probe's a trigrams has the similarity c / (a + b -
    c), at least ``floor`` only if c ≥ floor (a + b) / (1 + floor); the trigram index checks
    c / a' ≥ ``LOOSE`` for a probe of a' trigrams. The probe padded with k trigrams of digits
    is still at least ``LOOSE``-similar to every name of the band [L, U) that is
    ``floor``-similar to the probe when k ≤ (a + L)(floor - LOOSE) / (LOOSE (1 + floor)), and
    the larger k, the more of the probe's trigrams the index requires: each band is searched
    with the longest such padding, then every name found has its true similarity checked. A
    band whose names are too short (b < floor × a) or too long (b > a / floor) to be similar
    is not searched (its padded probe is NULL). Same names as ``%`` at ``floor`` on every
    name; at 1,350,000 firms, p95 35 ms instead of 53 at 0.56, 59 instead of 76 at 0.44
    (BENCHMARKS.md)."""
    bounds = [*FirmName.BANDS[1:], 32767]
    bands = ", ".join(
        f"({band}, {lower}, {upper})"
        for band, (lower, upper) in enumerate(zip(FirmName.BANDS, bounds, strict=True))
    )
    arms = "\n    UNION ALL\n    ".join(
        f"SELECT name_normalised FROM {table} "  # noqa: S608 - constants only
        f"WHERE name_normalised % (SELECT padded FROM padding WHERE band = {band})"
        for band, table in enumerate(FirmName.partition_names())
    )
    return f"""
WITH probe AS MATERIALIZED (
    SELECT firm_name_trigrams(CAST(:probe AS text)) AS trigrams  -- as the names are filed
), padding AS MATERIALIZED (
    SELECT band.number AS band,
           CASE WHEN band.upper - 1 < CAST(:floor AS float8) * probe.trigrams
                  OR band.lower > probe.trigrams / CAST(:floor AS float8) THEN NULL
                WHEN pad.k < 2 THEN CAST(:probe AS text)
                ELSE CAST(:probe AS text) || ' ' || left('{PADDING}', pad.k - 1)
           END AS padded
    FROM probe
    CROSS JOIN (VALUES {bands}) AS band (number, lower, upper)
    CROSS JOIN LATERAL (
        SELECT CAST(floor((probe.trigrams + band.lower) * (CAST(:floor AS float8) - {LOOSE})
                          / ({LOOSE} * (1 + CAST(:floor AS float8))) - 1e-6) AS integer) AS k
    ) AS pad
)
SELECT name, similarity FROM (
    SELECT name_normalised AS name, similarity(name_normalised, CAST(:probe AS text)) AS similarity
    FROM (
    {arms}
    ) AS names
) AS alike WHERE similarity >= CAST(:floor AS float8)
"""  # noqa: S608 - only constants are interpolated, values are bound


_ALIKE_NAMES = _alike_names_sql()


def named(normalised_name: str, *, floor: float, postcode: str | None = None) -> sa.Select:
    """The ``CANDIDATES`` best firms whose normalised name is at least ``floor``-similar to
    ``normalised_name`` (pg_trgm's similarity): by similarity, plus what the same postcode
    adds to a score in similarity terms, then by id. Needs ``name_search_settings`` first.

    The names alike are searched among the distinct names (``firm_name``, by bands of
    length, a GIN trigram index each: ``_alike_names_sql``); the firms of the names alike come
    from the (name, postcode) index, best names first, so that a name borne by thousands of
    firms costs no more than the ``CANDIDATES`` it can place. The best by rank are among the
    best by similarity alone and, with a postcode, the best by similarity in that postcode
    (the same bonus for all of them): both lists, merged."""
    if postcode:
        return _named(True).params(probe=normalised_name, floor=floor, postcode=postcode)
    return _named(False).params(probe=normalised_name, floor=floor)


@functools.cache
def _named(with_postcode: bool) -> sa.Select:
    # Built once, values bound at each call: building it costs about 1 ms, a tenth of a match.
    names = (
        sa.text(_ALIKE_NAMES)
        .bindparams(sa.bindparam("probe", type_=sa.String), sa.bindparam("floor", type_=sa.Float))
        .columns(sa.column("name", sa.String), sa.column("similarity", sa.Float))
        .cte("alike_names")
        .prefix_with("MATERIALIZED")  # each name's similarity worked out once
    )
    alike = sa.select(names).order_by(names.c.similarity.desc()).subquery("alike")

    def best(*conditions) -> sa.Select:
        firms = (
            sa.select(*_FIRM_COLUMNS)
            .where(Firm.name_normalised == alike.c.name, Firm.merged_into_id.is_(None), *conditions)
            .order_by(Firm.id)
            .limit(CANDIDATES)
            .lateral("named_firms")
        )
        columns = [firms.c[column.key] for column in _FIRM_COLUMNS]
        return (
            sa.select(columns[0], alike.c.similarity, *columns[1:])
            .select_from(alike.join(firms, sa.true()))
            .order_by(alike.c.similarity.desc(), firms.c.id)
            .limit(CANDIDATES)
        )

    if not with_postcode:
        return best()
    postcode = sa.bindparam("postcode", type_=sa.String)
    both = sa.union(best(), best(Firm.postcode == postcode)).subquery("both_lists")
    bonus = dedup.SAME_POSTCODE / dedup.NAME_WEIGHT
    rank = both.c.similarity + sa.case((both.c.postcode == postcode, bonus), else_=0.0)
    return sa.select(both).order_by(rank.desc(), both.c.id).limit(CANDIDATES)


def namesakes(normalised_name: str, *, limit: int) -> sa.Select:
    """How many firms (not merged away) bear exactly ``normalised_name``, counted up to
    ``limit``: a lookup of the (name, postcode) index."""
    return _NAMESAKES.params(probe=normalised_name, limit=limit)


def _namesakes() -> sa.Select:
    bearers = (
        sa.select(sa.literal(1))
        .where(
            Firm.name_normalised == sa.bindparam("probe", type_=sa.String),
            Firm.merged_into_id.is_(None),
        )
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .subquery("bearers")
    )
    return sa.select(sa.func.count()).select_from(bearers)


_NAMESAKES = _namesakes()  # built once, like _named


def followers(firm_ids: list[int]) -> sa.Select:
    """Per firm and organisation: since when it follows the firm, its last contact, and
    whether all it follows there is confidential (leads and interactions together)."""
    return _FOLLOWERS.params(firm_ids=firm_ids)


def _followers() -> sa.Select:
    firm_ids = sa.bindparam("firm_ids", expanding=True)
    lead_rows = sa.select(
        Lead.firm_id.label("firm_id"),
        Lead.owner_organisation_id.label("organisation_id"),
        sa.cast(Lead.created_at, sa.Date).label("since"),
        sa.null().label("contact"),
        Lead.confidential.label("confidential"),
    ).where(Lead.firm_id.in_(firm_ids))
    interaction_rows = (
        sa.select(
            Interaction.firm_id,
            Interaction.organisation_id,
            Interaction.occurred_on,
            Interaction.occurred_on,
            sa.func.coalesce(Lead.confidential, sa.false()),
        )
        .outerjoin(Lead, Lead.id == Interaction.lead_id)
        .where(Interaction.firm_id.in_(firm_ids))
    )
    rows = sa.union_all(lead_rows, interaction_rows).subquery()
    return (
        sa.select(
            rows.c.firm_id,
            Organisation,
            sa.func.min(rows.c.since).label("since"),
            sa.func.max(rows.c.contact).label("last_contact"),
            sa.func.bool_and(rows.c.confidential).label("only_confidential"),
        )
        .join(Organisation, Organisation.id == rows.c.organisation_id)
        .group_by(rows.c.firm_id, Organisation.id)
        .order_by(rows.c.firm_id, sa.func.max(rows.c.contact).desc().nulls_last())
    )


_FOLLOWERS = _followers()  # built once, like _named


def firm_page(firm_id: int) -> sa.Select:
    """A firm with its contacts and leads."""
    return (
        sa.select(Firm)
        .where(Firm.id == firm_id)
        .options(
            selectinload(Firm.contacts),
            selectinload(Firm.leads).selectinload(Lead.owner_organisation),
            selectinload(Firm.leads).selectinload(Lead.assigned_user),
        )
    )


def timeline(firm_id: int) -> sa.Select:
    """Every organisation's interactions with a firm, newest first."""
    return (
        sa.select(Interaction)
        .where(Interaction.firm_id == firm_id)
        .options(
            selectinload(Interaction.organisation),
            selectinload(Interaction.author),
            selectinload(Interaction.lead),
        )
        .order_by(Interaction.occurred_on.desc(), Interaction.id.desc())
    )


def firms_list(search: str | None, *, besides: int | None = None) -> sa.Select:
    """Firms (not merged away, other than ``besides``), by name; filtered by a name fragment
    or identifier. A fragment finds the names holding a word alike (pg_trgm's ``%>``, on the
    distinct names), the names most alike first, then their firms by the (name, postcode)
    index."""
    others = () if besides is None else (Firm.id != besides,)
    digits = (search or "").replace(" ", "")
    if not search or digits.isdigit():
        query = sa.select(Firm).where(Firm.merged_into_id.is_(None), *others)
        if search:
            query = query.where(sa.or_(Firm.siren == digits[:9], Firm.siret == digits))
        return query.order_by(Firm.name)
    term = dedup.normalise_name(search)
    alike = (
        sa.select(
            FirmName.name_normalised.label("name"),
            sa.func.word_similarity(term, FirmName.name_normalised).label("likeness"),
        )
        .where(FirmName.name_normalised.op("%>")(term))
        .cte("alike_names")
        .prefix_with("MATERIALIZED")  # the names by their trigram index, first
    )
    # A subquery per name (OFFSET 0 keeps it one): the planner, which cannot tell how many
    # names are alike, would otherwise join them to the whole firm table (0.4 s at 1.3M firms).
    bearers = (
        sa.select(Firm)
        .where(Firm.name_normalised == alike.c.name, Firm.merged_into_id.is_(None), *others)
        .offset(0)
        .lateral("bearers")
    )
    firm = aliased(Firm, bearers)
    return (
        sa.select(firm)
        .select_from(alike)
        .join(bearers, sa.true())
        .order_by(alike.c.likeness.desc(), firm.name, firm.id)
    )

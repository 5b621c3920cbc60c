"""Merging a duplicate firm into another without losing anything, and undoing it.

Every row that references the absorbed firm (found at run time from the database's foreign
keys, so that a table added later is moved too) goes to the survivor. The survivor keeps its
identity values and fills its empty ones from the absorbed firm; the absorbed firm's other
differing values are kept in the merge record. The absorbed firm itself stays, hidden, with
``merged_into_id`` set. Both firms are locked (SELECT … FOR UPDATE, in id order) so that two
merges involving the same firm cannot interleave; services flush, the caller commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
import sqlalchemy as sa
from geoalchemy2.elements import WKTElement
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hosting_app.audit.models import AuditAction
from hosting_app.audit.service import apply_changes, record
from hosting_app.auth.models import User
from hosting_app.labels import Sector
from hosting_app.leads.models import Firm, FirmMerge, WorkforceBand
from hosting_app.leads.services import FIRM_FIELDS

IDENTITY_FIELDS = (*FIRM_FIELDS, "location")
# Values that only make sense together: a survivor takes a group's missing values only when
# no value of the group conflicts (a SIRET belongs to its SIREN, a postcode to its town).
GROUPS = (("siren", "siret"), ("address", "postcode", "city", "commune_insee", "location"))
# In FirmMerge.survivor_before, next to the identity values: those the survivor took.
TAKEN = "_taken"
# Columns referencing firm.id that a merge must not move.
NOT_MOVED = {("firm", "merged_into_id"), ("firm_merge", "survivor_id"),
             ("firm_merge", "absorbed_id")}  # fmt: skip

FIELD_LABELS = {
    "name": "Raison sociale", "trade_name": "Nom commercial", "siret": "SIRET",
    "siren": "SIREN", "legal_form": "Forme juridique", "naf_code": "Code NAF",
    "workforce_band": "Effectif", "address": "Adresse", "postcode": "Code postal",
    "city": "Commune", "commune_insee": "Code commune INSEE", "website": "Site web",
    "email_domain": "Domaine des adresses électroniques", "phone": "Téléphone",
    "sector": "Filière", "location": "Position",
}  # fmt: skip
TABLE_LABELS = {
    "lead": ("projet", "projets"),
    "contact_person": ("contact", "contacts"),
    "interaction": ("démarche", "démarches"),
    "occupancy": ("occupation de local", "occupations de locaux"),
}
ALWAYS_COUNTED = ("lead", "contact_person", "interaction")
NATIONAL = phonenumbers.PhoneNumberFormat.NATIONAL
INTERNATIONAL = phonenumbers.PhoneNumberFormat.INTERNATIONAL
POINT = re.compile(r"POINT\s*\(\s*(-?[0-9.]+)\s+(-?[0-9.]+)\s*\)")


class MergeRefused(Exception):
    """A merge or an undo that may not be done; the message is French, for the user."""


@dataclass(frozen=True)
class Reference:
    """A column referencing firm.id, with the columns that name its rows."""

    key: str  # the key of FirmMerge.moved
    table: sa.TableClause
    column: sa.ColumnClause
    identity: tuple[sa.ColumnClause, ...]

    def row_id(self, row: sa.Row) -> Any:
        """A row's id as JSON keeps it: the primary key, or a list when it is composite."""
        values = [row[i] for i in range(len(self.identity))]
        return values[0] if len(values) == 1 else values

    def rows(self, ids: list[Any]) -> sa.ColumnElement[bool]:
        """The condition selecting the rows named by ``ids``."""
        if len(self.identity) == 1:
            return self.identity[0].in_(ids)
        return sa.tuple_(*self.identity).in_([tuple(i) for i in ids])


@dataclass
class Preview:
    """What a merge would do, for the confirmation page."""

    survivor: Firm
    absorbed: Firm
    survivor_values: dict[str, Any]
    absorbed_values: dict[str, Any]
    taken: dict[str, Any]
    conflicts: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)
    refusal: str | None = None


# --- Pure rules ------------------------------------------------------------------------


def is_empty(name: str, value: Any) -> bool:
    """Whether an identity value says nothing (None, blank, a workforce « non renseigné »)."""
    if name == "workforce_band" and value == WorkforceBand.NN.value:
        return True
    return value is None or (isinstance(value, str) and not value.strip())


def plan(survivor: dict[str, Any], absorbed: dict[str, Any]) -> tuple[dict, dict]:
    """(taken, conflicts): the absorbed firm's values the survivor takes where it has none,
    and those it cannot take because they differ from its own (kept, never dropped)."""
    grouped = {name for group in GROUPS for name in group}
    groups = [*GROUPS, *((name,) for name in IDENTITY_FIELDS if name not in grouped)]
    taken: dict[str, Any] = {}
    conflicts: dict[str, Any] = {}
    for group in groups:
        missing = {
            name: absorbed[name]
            for name in group
            if is_empty(name, survivor[name]) and not is_empty(name, absorbed[name])
        }
        differing = {
            name: absorbed[name]
            for name in group
            if not is_empty(name, survivor[name])
            and not is_empty(name, absorbed[name])
            and survivor[name] != absorbed[name]
        }
        if differing:
            conflicts |= differing | missing
        else:
            taken |= missing
    order = IDENTITY_FIELDS.index
    return (
        dict(sorted(taken.items(), key=lambda item: order(item[0]))),
        dict(sorted(conflicts.items(), key=lambda item: order(item[0]))),
    )


def describe(name: str, value: Any) -> str:
    """An identity value as a person reads it."""
    if is_empty(name, value):
        return "—"
    if name == "workforce_band":
        return WorkforceBand(value).label
    if name == "sector":
        return Sector(value).label
    if name == "location":
        point = POINT.search(value)
        return f"{float(point[2]):.5f}, {float(point[1]):.5f}" if point else str(value)
    if name == "phone":
        number = phonenumbers.parse(value)
        national = number.country_code == 33
        return phonenumbers.format_number(number, NATIONAL if national else INTERNATIONAL)
    return str(value)


def count_text(key: str, count: int) -> str:
    """« 2 projets », « 1 contact », « 0 démarche », « 3 lignes de occupancy »."""
    singular, plural = TABLE_LABELS.get(key, (f"ligne de {key}", f"lignes de {key}"))
    return f"{count} {plural if count > 1 else singular}"


def moved_text(counts: dict[str, int]) -> str:
    """« 2 projets, 3 contacts, 0 démarche » (the CRM's tables always, the others if any)."""
    every = dict.fromkeys(ALWAYS_COUNTED, 0) | counts
    return ", ".join(
        count_text(key, count) for key, count in every.items() if count or key in ALWAYS_COUNTED
    )


# --- Database ----------------------------------------------------------------------------


def firm_references(session: Session) -> list[Reference]:
    """Every column referencing firm.id, read from the database's foreign keys."""
    inspector = sa.inspect(session.connection())
    primary_keys = inspector.get_multi_pk_constraint()
    found: list[tuple[str, str, list[str]]] = []
    for (schema, table), foreign_keys in sorted(
        inspector.get_multi_foreign_keys().items(), key=lambda item: item[0][1]
    ):
        for fk in foreign_keys:
            if fk["referred_table"] != "firm" or fk["referred_columns"] != ["id"]:
                continue
            [column] = fk["constrained_columns"]
            if (table, column) in NOT_MOVED:
                continue
            pk = primary_keys.get((schema, table), {}).get("constrained_columns") or []
            found.append((table, column, [c for c in pk if c != column]))
    per_table: dict[str, int] = {}
    for table, _, _ in found:
        per_table[table] = per_table.get(table, 0) + 1
    references = []
    for table, column, identity in found:
        clause = sa.table(table, *(sa.column(name) for name in {column, *identity}))
        references.append(
            Reference(
                key=table if per_table[table] == 1 else f"{table}.{column}",
                table=clause,
                column=clause.c[column],
                identity=tuple(clause.c[name] for name in identity),
            )
        )
    return references


def identity_values(session: Session, firm_id: int) -> dict[str, Any]:
    """A firm's identity values as JSON keeps them (the position as EWKT)."""
    columns = [getattr(Firm, name) for name in FIRM_FIELDS]
    row = session.execute(
        sa.select(*columns, sa.func.ST_AsEWKT(Firm.location)).where(Firm.id == firm_id)
    ).one()
    values = dict(zip(IDENTITY_FIELDS, row, strict=True))
    if values["workforce_band"] is not None:
        values["workforce_band"] = WorkforceBand(values["workforce_band"]).value
    return values


def _python(name: str, value: Any) -> Any:
    """A JSON-kept identity value as the Firm attribute takes it."""
    if value is None:
        return None
    if name == "workforce_band":
        return WorkforceBand(value)
    if name == "location":
        return WKTElement(value, extended=True)
    return value


def _lock(session: Session, *firm_ids: int) -> dict[int, Firm]:
    """The firms, locked in id order (so two merges wait for each other, never deadlock)."""
    firms = session.scalars(
        sa.select(Firm)
        .where(Firm.id.in_(firm_ids))
        .order_by(Firm.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    found = {firm.id: firm for firm in firms}
    if len(found) != len(set(firm_ids)):
        raise MergeRefused("Fiche introuvable : elle a peut-être été supprimée.")
    return found


def _refusal(
    session: Session, survivor: Firm, absorbed: Firm, versions: dict[int, int] | None = None
) -> str | None:
    """Why these two firms may not be merged, or None."""
    if survivor.id == absorbed.id:
        return "Une fiche ne peut pas être fusionnée avec elle-même."
    for firm in (survivor, absorbed):
        if firm.merged_into_id is not None:
            target = session.get(Firm, firm.merged_into_id)
            return (
                f"La fiche « {firm.name} » a déjà été fusionnée dans « {target.name} » : "
                "elle ne peut plus être fusionnée."
            )
    for firm in (survivor, absorbed):
        if versions and firm.id in versions and versions[firm.id] != firm.version:
            return (
                f"La fiche « {firm.name} » a été modifiée depuis l'affichage de l'aperçu : "
                "vérifiez de nouveau avant de fusionner."
            )
    return None


def preview(session: Session, *, survivor_id: int, absorbed_id: int) -> Preview | None:
    """What merging ``absorbed_id`` into ``survivor_id`` would do; None if a firm is unknown."""
    survivor, absorbed = session.get(Firm, survivor_id), session.get(Firm, absorbed_id)
    if survivor is None or absorbed is None:
        return None
    survivor_values = identity_values(session, survivor.id)
    absorbed_values = identity_values(session, absorbed.id)
    taken, conflicts = plan(survivor_values, absorbed_values)
    counts = {
        ref.key: session.scalar(
            sa.select(sa.func.count()).select_from(ref.table).where(ref.column == absorbed.id)
        )
        for ref in firm_references(session)
    }
    return Preview(
        survivor=survivor, absorbed=absorbed, survivor_values=survivor_values,
        absorbed_values=absorbed_values, taken=taken, conflicts=conflicts, counts=counts,
        refusal=_refusal(session, survivor, absorbed),
    )  # fmt: skip


def _move(
    session: Session, references: list[Reference], *, source: int, target: int
) -> dict[str, list[Any]]:
    """Move every row of ``source`` to ``target``; return {table: [ids moved]}."""
    moved: dict[str, list[Any]] = {}
    for ref in references:
        try:
            with session.begin_nested():  # a refused table leaves nothing half moved
                rows = session.execute(
                    sa.update(ref.table)
                    .where(ref.column == source)
                    .values({ref.column.name: target})
                    .returning(*(ref.identity or (ref.column,)))
                ).all()
                if rows and not ref.identity:
                    raise MergeRefused(
                        f"Les lignes de la table {ref.key} n'ont pas d'identifiant propre : "
                        "la fusion ne pourrait pas être annulée, elle est refusée."
                    )
        except IntegrityError as error:
            raise MergeRefused(
                f"Des lignes de la table {ref.key} existent déjà sur la fiche conservée : "
                "fusion refusée, rien n'a été modifié."
            ) from error
        if rows:
            moved[ref.key] = sorted(ref.row_id(row) for row in rows)
    _expire(session, {ref.table.name for ref in references if ref.key in moved})
    return moved


def _expire(session: Session, tables: set[str]) -> None:
    """Forget what the session holds of rows moved behind its back, and firms' collections."""
    firm_relationships = [r.key for r in sa.inspect(Firm).relationships]
    for obj in list(session.identity_map.values()):
        mapper = sa.inspect(obj).mapper
        if isinstance(obj, Firm):
            session.expire(obj, firm_relationships)
        elif mapper.local_table.name in tables:
            session.expire(obj)


def merge_firms(
    session: Session,
    *,
    user: User,
    survivor_id: int,
    absorbed_id: int,
    expected_versions: dict[int, int] | None = None,
) -> FirmMerge:
    """Merge ``absorbed_id`` into ``survivor_id``: every row moves, no value is lost.

    ``expected_versions`` ({firm id: version}) refuses the merge if a firm was saved since
    the preview was shown."""
    if survivor_id == absorbed_id:
        raise MergeRefused("Une fiche ne peut pas être fusionnée avec elle-même.")
    firms = _lock(session, survivor_id, absorbed_id)
    survivor, absorbed = firms[survivor_id], firms[absorbed_id]
    refusal = _refusal(session, survivor, absorbed, expected_versions)
    if refusal:
        raise MergeRefused(refusal)
    before = identity_values(session, survivor.id)
    taken, conflicts = plan(before, identity_values(session, absorbed.id))
    moved = _move(session, firm_references(session), source=absorbed.id, target=survivor.id)
    absorbed_changes: dict[str, tuple[Any, Any]] = {"merged_into_id": (None, survivor.id)}
    if "siret" in taken:
        # The SIRET is unique: it leaves the absorbed firm before the survivor takes it.
        absorbed_changes["siret"] = (absorbed.siret, None)
        absorbed.siret = None
        session.flush()
    absorbed.merged_into_id = survivor.id
    apply_changes(survivor, {name: _python(name, value) for name, value in taken.items()})
    session.flush()  # both versions checked and bumped
    session.expire(survivor, ["location"])  # read back as stored
    merge = FirmMerge(
        survivor_id=survivor.id, absorbed_id=absorbed.id, merged_by_id=user.id, moved=moved,
        survivor_before={**before, TAKEN: taken}, conflicts=conflicts,
    )  # fmt: skip
    session.add(merge)
    session.flush()
    counts = {key: len(ids) for key, ids in moved.items()}
    record(
        session, user=user, action=AuditAction.MERGE, entity_type="firm",
        entity_id=survivor.id, changes={name: (before[name], v) for name, v in taken.items()},
        details={"merge_id": merge.id, "absorbed_id": absorbed.id,
                 "absorbed_name": absorbed.name, "moved": counts, "conflicts": conflicts},
    )  # fmt: skip
    record(
        session, user=user, action=AuditAction.MERGE, entity_type="firm",
        entity_id=absorbed.id, changes=absorbed_changes,
        details={"merge_id": merge.id, "survivor_id": survivor.id,
                 "survivor_name": survivor.name, "moved": counts},
    )  # fmt: skip
    session.flush()
    return merge


def undo_merge(session: Session, *, user: User, merge_id: int) -> FirmMerge:
    """Undo a merge: the rows it moved go back, the survivor's values it filled are emptied."""
    merge = session.scalar(
        sa.select(FirmMerge)
        .where(FirmMerge.id == merge_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if merge is None:
        raise MergeRefused("Fusion introuvable.")
    if merge.undone_at is not None:
        raise MergeRefused("Cette fusion a déjà été annulée.")
    firms = _lock(session, merge.survivor_id, merge.absorbed_id)
    survivor, absorbed = firms[merge.survivor_id], firms[merge.absorbed_id]
    before = merge.survivor_before
    taken: dict[str, Any] = before.get(TAKEN, {})
    _check_undoable(session, survivor, absorbed, taken)
    references = {ref.key: ref for ref in firm_references(session)}
    _check_rows(session, references, merge.moved, survivor)
    for key, ids in merge.moved.items():
        ref = references[key]
        session.execute(
            sa.update(ref.table)
            .where(ref.rows(ids), ref.column == survivor.id)
            .values({ref.column.name: absorbed.id})
        )
    _expire(session, {references[key].table.name for key in merge.moved})
    restored = {name: _python(name, before.get(name)) for name in taken}
    absorbed_changes: dict[str, tuple[Any, Any]] = {"merged_into_id": (survivor.id, None)}
    if "siret" in taken:
        # The SIRET is unique: the survivor gives it back before the absorbed firm takes it.
        apply_changes(survivor, {name: restored.pop(name) for name in ("siret", "siren")
                                 if name in restored})  # fmt: skip
        session.flush()
        absorbed.siret = taken["siret"]
        absorbed_changes["siret"] = (None, taken["siret"])
    apply_changes(survivor, restored)
    absorbed.merged_into_id = None
    merge.undone_at = sa.func.now()
    merge.undone_by_id = user.id
    session.flush()
    counts = {key: len(ids) for key, ids in merge.moved.items()}
    record(
        session, user=user, action=AuditAction.UNMERGE, entity_type="firm",
        entity_id=survivor.id, changes={n: (v, before.get(n)) for n, v in taken.items()},
        details={"merge_id": merge.id, "absorbed_id": absorbed.id,
                 "absorbed_name": absorbed.name, "moved_back": counts},
    )  # fmt: skip
    record(
        session, user=user, action=AuditAction.UNMERGE, entity_type="firm",
        entity_id=absorbed.id, changes=absorbed_changes,
        details={"merge_id": merge.id, "survivor_id": survivor.id,
                 "survivor_name": survivor.name, "moved_back": counts},
    )  # fmt: skip
    session.flush()
    return merge


def _check_undoable(
    session: Session, survivor: Firm, absorbed: Firm, taken: dict[str, Any]
) -> None:
    """Refuse an undo that would overwrite later work or cannot put things back exactly."""
    if survivor.merged_into_id is not None:
        target = session.get(Firm, survivor.merged_into_id)
        raise MergeRefused(
            f"La fiche « {survivor.name} » a depuis été fusionnée dans « {target.name} » : "
            "annulez d'abord cette fusion-là."
        )
    if absorbed.merged_into_id != survivor.id:
        raise MergeRefused(
            f"La fiche « {absorbed.name} » n'est plus fusionnée dans « {survivor.name} »."
        )
    current = identity_values(session, survivor.id)
    edited = [name for name, value in taken.items() if current[name] != value]
    if edited:
        fields = ", ".join(FIELD_LABELS[name].lower() for name in edited)
        raise MergeRefused(
            f"La fiche « {survivor.name} » a été modifiée depuis la fusion ({fields}) : "
            "l'annuler effacerait ces modifications. Rétablissez d'abord les valeurs reprises "
            "de la fiche fusionnée, ou corrigez les fiches à la main."
        )
    siret = taken.get("siret")
    if siret and (absorbed.siret is not None or absorbed.siren not in (None, siret[:9])):
        raise MergeRefused(
            f"Le SIRET ou le SIREN de la fiche « {absorbed.name} » a changé depuis la fusion : "
            f"elle ne peut pas reprendre le SIRET {siret}."
        )


def _check_rows(
    session: Session, references: dict[str, Reference], moved: dict[str, list], survivor: Firm
) -> None:
    """Refuse an undo if a row the merge moved was deleted or moved again since (rows locked)."""
    for key, ids in moved.items():
        ref = references.get(key)
        if ref is None:
            raise MergeRefused(
                f"La table {key} ne référence plus les entreprises : annulation impossible."
            )
        rows = session.execute(
            sa.select(*ref.identity, ref.column).where(ref.rows(ids)).with_for_update()
        ).all()
        found = {str(ref.row_id(row)): row[-1] for row in rows}
        missing = [i for i in ids if str(i) not in found]
        elsewhere = [i for i in ids if found.get(str(i), survivor.id) != survivor.id]
        if missing:
            raise MergeRefused(
                "Des éléments déplacés par la fusion ont été supprimés depuis "
                f"({count_text(key, len(missing))}) : la fusion ne peut plus être annulée "
                "exactement."
            )
        if elsewhere:
            raise MergeRefused(
                "Des éléments déplacés par la fusion ont été rattachés depuis à une autre fiche "
                f"({count_text(key, len(elsewhere))}) : la fusion ne peut plus être annulée "
                "exactement."
            )

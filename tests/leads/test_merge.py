"""Merging two firms: nothing lost, conflicts kept, audited, undoable, safe under concurrency."""

from __future__ import annotations

import html
import re
import threading
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from stdnum import luhn

from hosting_app.audit.models import AuditAction, AuditEntry
from hosting_app.audit.service import rewriting
from hosting_app.auth.models import Role, User
from hosting_app.auth.services import create_user
from hosting_app.db import Base
from hosting_app.leads import merging, queries, services
from hosting_app.leads.merging import MergeRefused, merge_firms, undo_merge
from hosting_app.leads.models import (
    Channel,
    ContactPerson,
    Firm,
    FirmMerge,
    Interaction,
    Lead,
    LeadSource,
)
from tests.helpers import PASSWORD, csrf_token, login

CHILDREN = {"lead": Lead, "contact_person": ContactPerson, "interaction": Interaction}


def siret(siren8: str, nic4: str) -> str:
    """A valid SIRET from 8 SIREN digits and 4 NIC digits (both Luhn keys computed)."""
    siren = siren8 + luhn.calc_check_digit(siren8)
    return siren + nic4 + luhn.calc_check_digit(siren + nic4)


@pytest.fixture
def developer(session, make_user) -> User:
    """A developer of CAMVS."""
    email = make_user("developer", "camvs", email="fusion@camvs.example")
    return session.scalar(sa.select(User).where(User.email == email))


def make_firm(session, user: User, *, leads=0, contacts=0, interactions=0, **data) -> Firm:
    """A firm with some leads, contact persons and interactions."""
    firm = services.create_firm(session, user=user, data=data)
    for n in range(leads):
        services.create_lead(
            session,
            user=user,
            firm=firm,
            title=f"Projet {n} de {firm.name}",
            source=LeadSource.PROSPECTION,
        )
    for n in range(contacts):
        services.add_contact(session, user=user, firm=firm, name=f"Contact {n} {firm.name}")
    for n in range(interactions):
        services.log_interaction(
            session,
            user=user,
            firm=firm,
            occurred_on=date(2026, 3, n + 1),
            channel=Channel.CALL,
            summary=f"Appel {n}",
        )
    session.flush()
    return firm


@pytest.fixture
def pair(session, developer) -> tuple[Firm, Firm]:
    """(survivor, absorbed): the same firm entered twice, with different phones."""
    survivor = make_firm(
        session, developer, leads=1, contacts=1, interactions=1,
        name="Aéro Méca Sénart", siret="73282932000074", postcode="77127", city="Lieusaint",
        phone="01 64 10 20 30",
    )  # fmt: skip
    absorbed = make_firm(
        session, developer, leads=2, contacts=2, interactions=3,
        name="AERO MECA SENART SAS", phone="01 60 60 60 60", website="https://aeromeca.example",
        legal_form="SAS",
    )  # fmt: skip
    session.commit()
    return survivor, absorbed


def edit(session, user: User, firm: Firm, **changes) -> None:
    """Save a firm through the edit service, as the edit form does (every field sent)."""
    data = {name: getattr(firm, name) for name in services.FIRM_FIELDS} | changes
    services.update_firm(session, user=user, firm=firm, data=data, expected_version=firm.version)


def meta_token(page: str) -> str:
    """The CSRF token of a logged-in page's <meta name="csrf-token">."""
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)


def children(session, firm_id: int) -> dict[str, set[int]]:
    """The ids of a firm's leads, contacts and interactions."""
    session.expire_all()
    return {
        table: set(session.scalars(sa.select(model.id).where(model.firm_id == firm_id)))
        for table, model in CHILDREN.items()
    }


def state(session, *firm_ids: int) -> dict:
    """Everything a merge may touch, for before/after comparisons."""
    session.expire_all()
    return {
        firm_id: {
            "values": merging.identity_values(session, firm_id),
            "merged_into_id": session.get(Firm, firm_id).merged_into_id,
            "children": children(session, firm_id),
        }
        for firm_id in firm_ids
    }


# --- Pure rules --------------------------------------------------------------------------


def _values(**values) -> dict:
    return dict.fromkeys(merging.IDENTITY_FIELDS) | values


def test_plan_fills_empty_values_and_keeps_differing_ones_apart():
    taken, conflicts = merging.plan(
        _values(name="Aéro Méca", phone="+33164102030", workforce_band="NN"),
        _values(name="AERO MECA SAS", phone="+33160606060", website="https://a.example",
                workforce_band="11", legal_form=""),
    )  # fmt: skip
    assert taken == {"workforce_band": "11", "website": "https://a.example"}
    assert conflicts == {"name": "AERO MECA SAS", "phone": "+33160606060"}


def test_plan_takes_an_address_or_a_siret_only_as_a_coherent_whole():
    survivor = _values(name="A", siren="732829320", postcode="77127")
    absorbed = _values(name="A", siren="552100554", siret="55210055400013", postcode="91080",
                       city="Courcouronnes")  # fmt: skip
    taken, conflicts = merging.plan(survivor, absorbed)
    assert taken == {}
    assert conflicts == {"siren": "552100554", "siret": "55210055400013", "postcode": "91080",
                         "city": "Courcouronnes"}  # fmt: skip
    taken, _ = merging.plan(
        _values(name="A", siren="552100554", postcode="91080"),
        absorbed,
    )
    assert taken == {"siret": "55210055400013", "city": "Courcouronnes"}


def test_moved_text_names_the_crm_tables():
    assert merging.moved_text({"lead": 2, "interaction": 1}) == "2 projets, 0 contact, 1 démarche"
    assert merging.moved_text({"occupancy": 1, "lead": 0, "other": 3}) == (
        "0 projet, 0 contact, 0 démarche, 1 occupation de local, 3 lignes de other"
    )


# --- Merge and undo ---------------------------------------------------------------------


def test_merge_loses_no_row(session, developer, pair):
    survivor, absorbed = pair
    before = {fid: children(session, fid) for fid in (survivor.id, absorbed.id)}
    merge = merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=absorbed.id)
    session.commit()

    after = children(session, survivor.id)
    for table in CHILDREN:
        assert after[table] == before[survivor.id][table] | before[absorbed.id][table]
    assert [len(after[t]) for t in CHILDREN] == [3, 3, 4]
    assert children(session, absorbed.id) == {t: set() for t in CHILDREN}
    assert merge.moved == {t: sorted(before[absorbed.id][t]) for t in CHILDREN}
    assert session.get(Firm, absorbed.id).merged_into_id == survivor.id


def test_merge_fills_empty_values_and_keeps_conflicts(session, developer, pair):
    survivor, absorbed = pair
    merge = merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=absorbed.id)
    session.expire_all()
    kept = session.get(Firm, survivor.id)
    assert kept.website == "https://aeromeca.example" and kept.legal_form == "SAS"
    assert kept.phone == "+33164102030" and kept.name == "Aéro Méca Sénart"
    assert merge.conflicts == {"name": "AERO MECA SENART SAS", "phone": "+33160606060"}
    assert merge.survivor_before["phone"] == "+33164102030"
    assert merge.survivor_before["website"] is None
    # the absorbed firm keeps its own values
    assert session.get(Firm, absorbed.id).phone == "+33160606060"


def test_absorbed_firm_is_hidden_from_lists_and_duplicate_detection(session, developer, pair):
    survivor, absorbed = pair
    merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=absorbed.id)
    listed = session.scalars(queries.firms_list("aero meca")).all()
    assert survivor in listed and absorbed not in listed
    found = services.match(session, services.probe_from(name="AERO MECA SENART SAS"))
    found_ids = [c["firm_id"] for c in found]
    assert survivor.id in found_ids and absorbed.id not in found_ids


def test_undo_restores_exactly_the_previous_state(session, developer, pair):
    survivor, absorbed = pair
    before = state(session, survivor.id, absorbed.id)
    merge = merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=absorbed.id)
    session.commit()
    assert state(session, survivor.id, absorbed.id) != before

    undone = undo_merge(session, user=developer, merge_id=merge.id)
    session.commit()
    assert state(session, survivor.id, absorbed.id) == before
    assert undone.undone_at is not None and undone.undone_by_id == developer.id
    assert absorbed in session.scalars(queries.firms_list("aero meca")).all()


def test_undo_twice_is_refused(session, developer, pair):
    survivor, absorbed = pair
    merge = merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=absorbed.id)
    undo_merge(session, user=developer, merge_id=merge.id)
    with pytest.raises(MergeRefused, match="déjà été annulée"):
        undo_merge(session, user=developer, merge_id=merge.id)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("self", "ne peut pas être fusionnée avec elle-même"),
        ("into_absorbed", "a déjà été fusionnée dans « Aéro Méca Sénart »"),
        ("absorbed_again", "a déjà été fusionnée dans « Aéro Méca Sénart »"),
    ],
)
def test_impossible_merges_are_refused(session, developer, pair, case, message):
    survivor, absorbed = pair
    third = make_firm(session, developer, name="Tiers Industrie", leads=1)
    merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=absorbed.id)
    ids = {
        "self": (third.id, third.id),
        "into_absorbed": (absorbed.id, third.id),
        "absorbed_again": (third.id, absorbed.id),
    }[case]
    with pytest.raises(MergeRefused, match=message):
        merge_firms(session, user=developer, survivor_id=ids[0], absorbed_id=ids[1])
    assert children(session, third.id)["lead"]  # nothing moved


def test_siret_moves_to_the_survivor_and_back(session, developer):
    only_absorbed = siret("55210055", "0002")
    survivor = make_firm(session, developer, name="Garage du Centre", leads=1)
    absorbed = make_firm(session, developer, name="Garage du Centre SARL", siret=only_absorbed)
    merge = merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=absorbed.id)
    session.commit()
    session.expire_all()
    assert (survivor.siret, survivor.siren) == (only_absorbed, only_absorbed[:9])
    assert absorbed.siret is None and absorbed.siren == only_absorbed[:9]

    undo_merge(session, user=developer, merge_id=merge.id)
    session.commit()
    session.expire_all()
    assert (survivor.siret, survivor.siren) == (None, None)
    assert absorbed.siret == only_absorbed


def test_an_address_with_its_position_is_taken_and_given_back(session, developer):
    survivor = make_firm(session, developer, name="Boulangerie Martin")
    absorbed = make_firm(
        session, developer, name="Boulangerie Martin", address="1 rue de Paris",
        postcode="77000", city="Melun", commune_insee="77288", workforce_band="02",
    )  # fmt: skip
    absorbed.location = "SRID=4326;POINT(2.65535 48.53971)"
    session.flush()
    before = state(session, survivor.id, absorbed.id)
    merge = merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=absorbed.id)
    taken = merging.identity_values(session, survivor.id)
    assert taken["location"] == "SRID=4326;POINT(2.65535 48.53971)"
    assert (taken["city"], taken["commune_insee"], taken["workforce_band"]) == (
        "Melun", "77288", "02",
    )  # fmt: skip
    assert merge.conflicts == {}
    undo_merge(session, user=developer, merge_id=merge.id)
    assert state(session, survivor.id, absorbed.id) == before


def test_two_sirets_both_stay_and_the_absorbed_one_is_a_conflict(session, developer):
    first, second = siret("73282932", "0008"), siret("73282932", "0016")
    survivor = make_firm(session, developer, name="Sénart Bois", siret=first)
    absorbed = make_firm(session, developer, name="Sénart Bois", siret=second)
    merge = merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=absorbed.id)
    session.expire_all()
    assert survivor.siret == first and absorbed.siret == second
    assert merge.conflicts == {"siret": second}


def test_undo_refused_when_the_survivor_changed_a_value_the_merge_filled(session, developer, pair):
    survivor, absorbed = pair
    merge = merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=absorbed.id)
    session.expire_all()
    edit(session, developer, survivor, website="https://autre.example")
    with pytest.raises(MergeRefused, match=r"modifiée depuis la fusion \(site web\)"):
        undo_merge(session, user=developer, merge_id=merge.id)


def test_undo_keeps_later_edits_of_values_the_merge_did_not_fill(session, developer, pair):
    survivor, absorbed = pair
    merge = merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=absorbed.id)
    session.expire_all()
    edit(session, developer, survivor, city="Lieusaint (77)")
    undo_merge(session, user=developer, merge_id=merge.id)
    session.expire_all()
    assert survivor.city == "Lieusaint (77)" and survivor.website is None


def test_undo_refused_when_a_moved_row_was_deleted(session, developer, pair):
    survivor, absorbed = pair
    merge = merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=absorbed.id)
    deleted = merge.moved["contact_person"][0]
    session.execute(sa.delete(ContactPerson).where(ContactPerson.id == deleted))
    with pytest.raises(MergeRefused, match=r"supprimés depuis \(1 contact\)"):
        undo_merge(session, user=developer, merge_id=merge.id)


def test_a_later_merge_of_the_survivor_must_be_undone_first(session, developer, pair):
    survivor, absorbed = pair
    third = make_firm(session, developer, name="Groupe Tiers")
    first = merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=absorbed.id)
    second = merge_firms(session, user=developer, survivor_id=third.id, absorbed_id=survivor.id)
    with pytest.raises(MergeRefused, match="annulez d'abord cette fusion-là"):
        undo_merge(session, user=developer, merge_id=first.id)
    undo_merge(session, user=developer, merge_id=second.id)
    undo_merge(session, user=developer, merge_id=first.id)
    assert [len(ids) for ids in children(session, absorbed.id).values()] == [2, 2, 3]


def test_merges_undone_in_reverse_order_restore_everything(session, developer, pair):
    survivor, absorbed = pair
    third = make_firm(session, developer, name="Aéro Méca Sénart (Moissy)", leads=1,
                      email_domain="aeromeca.example", trade_name="AMS")  # fmt: skip
    before = state(session, survivor.id, absorbed.id, third.id)
    first = merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=absorbed.id)
    second = merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=third.id)
    undo_merge(session, user=developer, merge_id=second.id)
    undo_merge(session, user=developer, merge_id=first.id)
    assert state(session, survivor.id, absorbed.id, third.id) == before


def test_every_table_referencing_firms_is_moved(session, developer, pair):
    """A table the merge code does not know (say, occupancies) is found and moved too."""
    survivor, absorbed = pair
    session.execute(sa.text(
        "CREATE TABLE merge_test_occupancy (id serial PRIMARY KEY,"
        " firm_id integer NOT NULL REFERENCES firm (id))"
    ))  # fmt: skip
    session.execute(
        sa.text("INSERT INTO merge_test_occupancy (firm_id) VALUES (:a), (:a), (:s)"),
        {"a": absorbed.id, "s": survivor.id},
    )
    merge = merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=absorbed.id)
    assert len(merge.moved["merge_test_occupancy"]) == 2
    count = "SELECT count(*) FROM merge_test_occupancy WHERE firm_id = :f"
    assert session.scalar(sa.text(count), {"f": survivor.id}) == 3
    undo_merge(session, user=developer, merge_id=merge.id)
    assert session.scalar(sa.text(count), {"f": absorbed.id}) == 2


def test_references_include_every_mapped_foreign_key_to_firms(session):
    firm_id = Firm.__table__.c.id
    mapped = {
        (fk.parent.table.name, fk.parent.name)
        for table in Base.metadata.tables.values()
        for fk in table.foreign_keys
        if fk.column is firm_id
    } - merging.NOT_MOVED
    found = {(ref.table.name, ref.column.name) for ref in merging.firm_references(session)}
    assert mapped == found
    assert {"lead", "contact_person", "interaction"} <= {table for table, _ in found}


def test_merge_and_undo_are_audited_on_both_firms(session, developer, pair):
    survivor, absorbed = pair
    merge = merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=absorbed.id)
    undo_merge(session, user=developer, merge_id=merge.id)
    entries = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.action.in_([AuditAction.MERGE, AuditAction.UNMERGE]))
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.entity_id) for e in entries] == [
        (AuditAction.MERGE, survivor.id), (AuditAction.MERGE, absorbed.id),
        (AuditAction.UNMERGE, survivor.id), (AuditAction.UNMERGE, absorbed.id),
    ]  # fmt: skip
    merged_survivor, merged_absorbed = entries[0], entries[1]
    assert merged_survivor.details["absorbed_id"] == absorbed.id
    assert merged_survivor.details["moved"] == {"lead": 2, "contact_person": 2, "interaction": 3}
    assert merged_survivor.details["conflicts"]["phone"] == "+33160606060"
    assert merged_survivor.changes["website"] == [None, "https://aeromeca.example"]
    assert merged_absorbed.details["survivor_id"] == survivor.id
    assert merged_absorbed.changes["merged_into_id"] == [None, survivor.id]
    assert entries[2].details["merge_id"] == merge.id
    assert all(e.user_id == developer.id for e in entries)


# --- Pages -------------------------------------------------------------------------------


def test_merge_through_the_pages(client, session, developer, pair):
    survivor, absorbed = pair
    login(client, developer.email)
    firm_page = client.get(f"/entreprises/{survivor.id}").get_data(as_text=True)
    assert f'href="/entreprises/{survivor.id}/fusion"' in firm_page
    assert "Fusionner avec une autre fiche" in firm_page

    choose = html.unescape(client.get(f"/entreprises/{survivor.id}/fusion").get_data(as_text=True))
    assert "AERO MECA SENART SAS" in choose  # pre-listed by the duplicate detection
    assert f"/entreprises/{survivor.id}/fusion/{absorbed.id}" in choose
    search = client.get(f"/entreprises/{survivor.id}/fusion?q=aero+meca")
    assert f"/entreprises/{survivor.id}/fusion/{absorbed.id}" in search.get_data(as_text=True)

    url = f"/entreprises/{survivor.id}/fusion/{absorbed.id}"
    confirm = client.get(url)
    assert confirm.status_code == 200
    page = html.unescape(confirm.get_data(as_text=True))
    assert "2 projets, 2 contacts, 3 démarches" in page
    assert "01 60 60 60 60" in page and "https://aeromeca.example" in page
    assert "Reprise de la fiche absorbée" in page and "Différente" in page

    form = {
        "survivor_id": survivor.id,
        "absorbed_id": absorbed.id,
        "survivor_version": survivor.version,
        "absorbed_version": absorbed.version,
    }
    assert client.post(url, data=form).status_code == 400  # no CSRF token
    response = client.post(url, data=form | {"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/entreprises/{survivor.id}#fusions"

    page = html.unescape(client.get(f"/entreprises/{survivor.id}").get_data(as_text=True))
    assert "est fusionnée dans « Aéro Méca Sénart » (2 projets, 2 contacts, 3 démarches)" in page
    assert "Valeurs de la fiche fusionnée « AERO MECA SENART SAS »" in page
    assert "01 60 60 60 60" in page  # the absorbed firm's phone, kept
    assert "Annuler la fusion" in page
    redirect = client.get(f"/entreprises/{absorbed.id}")
    assert redirect.status_code == 302  # not permanent: a merge can be undone
    assert redirect.headers["Location"] == f"/entreprises/{survivor.id}"

    merge_id = session.scalar(sa.select(FirmMerge.id).where(FirmMerge.absorbed_id == absorbed.id))
    undo_url = f"/fusions/{merge_id}/annuler"
    assert client.post(undo_url).status_code == 400  # no CSRF token
    undone = client.post(undo_url, data={"csrf_token": csrf_token(page)})
    assert undone.status_code == 302
    page = html.unescape(client.get(f"/entreprises/{survivor.id}").get_data(as_text=True))
    assert "Fusion annulée : « AERO MECA SENART SAS » est de nouveau une fiche distincte." in page
    assert "Annuler la fusion" not in page
    assert client.get(f"/entreprises/{absorbed.id}").status_code == 200

    again = client.post(undo_url, data={"csrf_token": csrf_token(page)})
    assert again.status_code == 303
    location = again.headers["Location"].split("#")[0]
    page = html.unescape(client.get(location).get_data(as_text=True))
    assert "Cette fusion a déjà été annulée." in page


def test_confirmation_lets_the_other_firm_survive(client, session, developer, pair):
    survivor, absorbed = pair
    login(client, developer.email)
    url = f"/entreprises/{survivor.id}/fusion/{absorbed.id}"
    page = html.unescape(client.get(f"{url}?conservee={absorbed.id}").get_data(as_text=True))
    assert "<h1>Fusionner « Aéro Méca Sénart » dans « AERO MECA SENART SAS »</h1>" in page
    assert "1 projet, 1 contact, 1 démarche" in page
    response = client.post(
        url,
        data={
            "survivor_id": absorbed.id,
            "absorbed_id": survivor.id,
            "csrf_token": csrf_token(page),
            "survivor_version": absorbed.version,
            "absorbed_version": survivor.version,
        },
    )
    assert response.headers["Location"] == f"/entreprises/{absorbed.id}#fusions"
    session.expire_all()
    assert session.get(Firm, survivor.id).merged_into_id == absorbed.id
    assert session.get(Firm, absorbed.id).siret == "73282932000074"  # taken over, unique


def test_a_firm_saved_since_the_preview_is_not_merged(client, session, developer, pair):
    survivor, absorbed = pair
    login(client, developer.email)
    url = f"/entreprises/{survivor.id}/fusion/{absorbed.id}"
    page = client.get(url).get_data(as_text=True)
    version = absorbed.version
    edit(session, developer, absorbed, website="https://nouveau.example")
    session.commit()
    response = client.post(
        url,
        data={
            "survivor_id": survivor.id,
            "absorbed_id": absorbed.id,
            "csrf_token": csrf_token(page),
            "survivor_version": survivor.version,
            "absorbed_version": version,
        },
    )
    assert response.status_code == 303
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "a été modifiée depuis l'affichage de l'aperçu" in page
    assert session.scalar(sa.select(sa.func.count()).select_from(FirmMerge)) == 0


def test_merging_a_firm_with_itself_is_refused_on_the_page(client, developer, pair):
    survivor, _ = pair
    login(client, developer.email)
    response = client.get(f"/entreprises/{survivor.id}/fusion/{survivor.id}")
    assert response.status_code == 409
    page = html.unescape(response.get_data(as_text=True))
    assert "Une fiche ne peut pas être fusionnée avec elle-même." in page
    assert 'name="survivor_id"' not in page


def test_marketing_may_not_merge(client, session, make_user, developer, pair):
    survivor, absorbed = pair
    merge = merge_firms(session, user=developer, survivor_id=survivor.id, absorbed_id=absorbed.id)
    session.commit()
    login(client, make_user("marketing"))
    token = meta_token(client.get("/").get_data(as_text=True))
    assert client.get(f"/entreprises/{survivor.id}/fusion").status_code == 403
    assert client.get(f"/entreprises/{survivor.id}/fusion/{absorbed.id}").status_code == 403
    assert (
        client.post(
            f"/entreprises/{survivor.id}/fusion/{absorbed.id}", data={"csrf_token": token}
        ).status_code
        == 403
    )
    undo = client.post(f"/fusions/{merge.id}/annuler", data={"csrf_token": token})
    assert undo.status_code == 403
    session.expire_all()
    assert session.get(FirmMerge, merge.id).undone_at is None


def test_anonymous_visitor_is_sent_to_login(client, pair):
    survivor, absorbed = pair
    for url in (
        f"/entreprises/{survivor.id}/fusion",
        f"/entreprises/{survivor.id}/fusion/{absorbed.id}",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/connexion?next=")


# --- Concurrency -------------------------------------------------------------------------


def test_two_concurrent_merges_of_one_firm_exactly_one_wins(app):
    """Two developers merge the same firm into two others at the same moment, on two real
    connections: the row locks serialise them, the second one is refused."""
    engine = sa.create_engine(app.config["DATABASE_URL"])
    email = "merge.race@camvs.example"
    firm_ids: list[int] = []
    try:
        with Session(engine) as session:
            user = create_user(session, email=email, password=PASSWORD,
                               organisation_key="camvs", role=Role.DEVELOPER)  # fmt: skip
            firms = [
                services.create_firm(session, user=user, data={"name": name})
                for name in ("Course Absorbée", "Course Première", "Course Seconde")
            ]
            services.add_contact(session, user=user, firm=firms[0], name="Camille Course")
            session.commit()
            user_id, firm_ids = user.id, [firm.id for firm in firms]
        absorbed_id, *survivor_ids = firm_ids
        barrier = threading.Barrier(2)
        outcomes: dict[int, str] = {}

        def merge_into(survivor_id: int) -> None:
            with Session(engine) as session:
                user = session.get(User, user_id)
                barrier.wait(timeout=10)
                try:
                    merge_firms(session, user=user, survivor_id=survivor_id,
                                absorbed_id=absorbed_id)  # fmt: skip
                    session.commit()
                    outcomes[survivor_id] = "merged"
                except MergeRefused as error:
                    session.rollback()
                    outcomes[survivor_id] = str(error)

        threads = [threading.Thread(target=merge_into, args=(i,)) for i in survivor_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes) == sorted(survivor_ids)
        winners = [i for i, outcome in outcomes.items() if outcome == "merged"]
        assert len(winners) == 1
        [loser] = set(survivor_ids) - set(winners)
        assert "« Course Absorbée » a déjà été fusionnée" in outcomes[loser]
        with Session(engine) as session:
            assert session.get(Firm, absorbed_id).merged_into_id == winners[0]
            merges = session.scalars(
                sa.select(FirmMerge).where(FirmMerge.absorbed_id == absorbed_id)
            ).all()
            assert [m.survivor_id for m in merges] == winners
            contact = session.scalar(sa.select(ContactPerson).where(
                ContactPerson.name == "Camille Course"))  # fmt: skip
            assert contact.firm_id == winners[0]
    finally:
        with engine.begin() as connection:
            user_ids = sa.select(User.id).where(User.email == email).scalar_subquery()
            with rewriting(connection, "test cleanup"):  # the audit log is append-only otherwise
                connection.execute(sa.delete(AuditEntry).where(AuditEntry.user_id == user_ids))
            connection.execute(sa.delete(FirmMerge).where(FirmMerge.absorbed_id.in_(firm_ids)))
            connection.execute(sa.delete(ContactPerson).where(ContactPerson.firm_id.in_(firm_ids)))
            connection.execute(sa.delete(Firm).where(Firm.id.in_(firm_ids)))
            connection.execute(sa.delete(User).where(User.email == email))
        engine.dispose()


def test_forms_opened_before_a_merge_do_not_write_to_the_absorbed_firm(client, session, senart_dev):
    from hosting_app.leads import merging, services
    from hosting_app.leads.models import Interaction

    survivor = services.create_firm(session, user=senart_dev, data={"name": "Garde SAS"})
    absorbed = services.create_firm(session, user=senart_dev, data={"name": "Garde"})
    session.commit()
    login(client, senart_dev.email)
    page = client.get(f"/entreprises/{absorbed.id}").get_data(as_text=True)
    merging.merge_firms(session, user=senart_dev, survivor_id=survivor.id, absorbed_id=absorbed.id)
    session.commit()
    response = client.post(
        f"/entreprises/{absorbed.id}/demarches",
        data={
            "occurred_on": "2026-01-05",
            "channel": "call",
            "summary": "Appel",
            "csrf_token": csrf_token(page),
        },
    )
    assert response.headers["Location"] == f"/entreprises/{survivor.id}"
    assert session.scalar(sa.select(sa.func.count()).where(Interaction.firm_id == absorbed.id)) == 0

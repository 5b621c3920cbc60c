"""Twenty developers claim the same lead at once, on twenty real connections."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hosting_app.audit.models import AuditEntry
from hosting_app.audit.service import rewriting
from hosting_app.auth.models import Organisation, Role, User
from hosting_app.leads import services
from hosting_app.leads.models import Firm, Lead, LeadSource

CLAIMANTS = 20


@pytest.fixture
def committed(app):
    """An engine of its own: these rows are really committed, then deleted."""
    engine = sa.create_engine(app.config["DATABASE_URL"], pool_size=CLAIMANTS)
    with Session(engine) as session:
        org = session.scalar(sa.select(Organisation).where(Organisation.key == "camvs"))
        users = [
            User(email=f"claimant{i}@camvs.example", password_hash="x", organisation=org,
                 role=Role.DEVELOPER)
            for i in range(CLAIMANTS)
        ]  # fmt: skip
        firm = Firm(name="Concurrence SAS", name_normalised="concurrence")
        session.add_all([*users, firm])
        session.flush()
        lead = Lead(
            firm=firm, title="Atelier", source=LeadSource.OTHER, owner_organisation_id=org.id
        )
        session.add(lead)
        session.commit()
        ids = {"users": [u.id for u in users], "firm": firm.id, "lead": lead.id}
    yield engine, ids
    with Session(engine) as session:
        with rewriting(session, "test cleanup"):  # the audit log is append-only otherwise
            session.execute(sa.delete(AuditEntry).where(AuditEntry.user_id.in_(ids["users"])))
        session.execute(sa.delete(Lead).where(Lead.id == ids["lead"]))
        session.execute(sa.delete(Firm).where(Firm.id == ids["firm"]))
        session.execute(sa.delete(User).where(User.id.in_(ids["users"])))
        session.commit()
    engine.dispose()


def test_exactly_one_of_twenty_concurrent_claims_wins(committed):
    engine, ids = committed
    barrier = threading.Barrier(CLAIMANTS)
    winners, refused, errors = [], [], []

    def claim(user_id: int) -> None:
        with Session(engine) as session:
            user = session.get(User, user_id)
            barrier.wait()
            try:
                services.claim_lead(session, user=user, lead_id=ids["lead"])
                session.commit()
                winners.append(user_id)
            except services.AlreadyClaimed as error:
                session.rollback()
                refused.append(error.holder.id)
            except Exception as error:  # noqa: BLE001 — reported below
                errors.append(error)

    threads = [threading.Thread(target=claim, args=(uid,)) for uid in ids["users"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(winners) == 1
    assert len(refused) == CLAIMANTS - 1
    # Every loser is told who has it: the winner.
    assert set(refused) == set(winners)
    with Session(engine) as session:
        assert session.get(Lead, ids["lead"]).assigned_user_id == winners[0]

"""The pipeline's transitions and the matching score: pure rules."""

from __future__ import annotations

from datetime import date

import pytest

from hosting_app.journeys import matching, pipeline
from hosting_app.leads.models import LeadStage as S

TODAY = date(2027, 1, 15)


@pytest.mark.parametrize(
    ("current", "target"),
    [(S.NEW, S.QUALIFIED), (S.QUALIFIED, S.VISIT), (S.VISIT, S.PROPOSAL), (S.PROPOSAL, S.WON),
     (S.QUALIFIED, S.PROPOSAL), (S.PROPOSAL, S.VISIT), (S.ON_HOLD, S.QUALIFIED), (S.LOST, S.NEW),
     (S.NEW, S.ON_HOLD)],
)  # fmt: skip
def test_allowed_transitions(current, target):
    pipeline.check_transition(current, target, reason=None)


@pytest.mark.parametrize(
    ("current", "target"),
    [(S.NEW, S.WON), (S.NEW, S.PROPOSAL), (S.WON, S.NEW), (S.WON, S.LOST), (S.VISIT, S.NEW),
     (S.LOST, S.WON)],
)  # fmt: skip
def test_refused_transitions_say_what_is_allowed(current, target):
    with pytest.raises(pipeline.TransitionRefused, match="ne peut passer qu'à"):
        pipeline.check_transition(current, target, reason=None)


def test_lost_needs_a_reason_and_staying_put_is_no_move():
    with pytest.raises(pipeline.TransitionRefused, match="pourquoi"):
        pipeline.check_transition(S.VISIT, S.LOST, reason="  ")
    pipeline.check_transition(S.VISIT, S.LOST, reason="Installé hors du territoire")
    with pytest.raises(pipeline.TransitionRefused, match="déjà"):
        pipeline.check_transition(S.VISIT, S.VISIT, reason=None)


def test_funnel_counts_stages_passed_through():
    assert pipeline.reached(S.WON, []) == set(pipeline.FUNNEL)
    assert pipeline.reached(S.LOST, [S.NEW, S.QUALIFIED, S.VISIT]) == {S.NEW, S.QUALIFIED, S.VISIT}


NEED = matching.Need(kind="workshop", surface_min=200, surface_max=400, budget_eur_year=40_000,
                     target_date=date(2027, 6, 1), sector="aeronautics",
                     communes=frozenset({"77251"}))  # fmt: skip


def offer(premises_id, **changes) -> matching.Offer:
    values = dict(kind="workshop", surface=300, rent_eur_m2_year=100, sale_price_eur_m2=None,
                  available_from=date(2027, 3, 1), site_sectors=frozenset({"aeronautics"}),
                  site_communes=frozenset({"77251"}))  # fmt: skip
    return matching.Offer(premises_id, **(values | changes))


def test_perfect_fit_ranks_above_near_misses_and_explains_why():
    offers = [
        offer(1, surface=450),  # 12 % too big
        offer(2),  # perfect
        offer(3, rent_eur_m2_year=200),  # over budget
        offer(4, kind="office"),
        offer(5, available_from=date(2027, 9, 1), site_communes=frozenset({"77288"})),
    ]
    ranked = matching.rank(NEED, offers, today=TODAY)
    assert ranked[0].premises_id == 2 and ranked[0].score == 100
    assert "surface dans la fourchette (300 m²)" in ranked[0].reasons
    assert "site dédié à sa filière" in ranked[0].reasons
    assert all(f.score < 100 for f in ranked[1:])
    near = next(f for f in ranked if f.premises_id == 1)
    assert "surface proche de la fourchette (450 m²)" in near.misses
    assert "loyer au-dessus du budget" in next(f for f in ranked if f.premises_id == 3).misses


def test_only_stated_criteria_count():
    bare = matching.fit(matching.Need(kind="office"), offer(1, kind="office"), today=TODAY)
    assert bare.score == 100 and bare.reasons == ("type de local demandé",)

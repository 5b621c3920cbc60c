"""The lead pipeline's rules, as pure functions: which stage may follow which."""

from __future__ import annotations

from hosting_app.leads.models import LeadStage

S = LeadStage

# new → qualified → visit → proposal → won / lost; on hold from any open stage and back.
TRANSITIONS: dict[LeadStage, frozenset[LeadStage]] = {
    S.NEW: frozenset({S.QUALIFIED, S.LOST, S.ON_HOLD}),
    S.QUALIFIED: frozenset({S.VISIT, S.PROPOSAL, S.LOST, S.ON_HOLD}),
    S.VISIT: frozenset({S.PROPOSAL, S.QUALIFIED, S.LOST, S.ON_HOLD}),
    S.PROPOSAL: frozenset({S.WON, S.LOST, S.VISIT, S.ON_HOLD}),
    S.ON_HOLD: frozenset({S.NEW, S.QUALIFIED, S.VISIT, S.PROPOSAL, S.LOST}),
    S.WON: frozenset(),
    S.LOST: frozenset({S.NEW}),  # a lost lead may be reopened
}
OPEN_STAGES = frozenset({S.NEW, S.QUALIFIED, S.VISIT, S.PROPOSAL, S.ON_HOLD})
FUNNEL = (S.NEW, S.QUALIFIED, S.VISIT, S.PROPOSAL, S.WON)


class TransitionRefused(ValueError):
    """A stage change the pipeline does not allow, with a French message."""


def check_transition(current: LeadStage, target: LeadStage, *, reason: str | None) -> None:
    """Raise TransitionRefused unless ``current`` may move to ``target``."""
    if target == current:
        raise TransitionRefused(f"Le projet est déjà à l'étape « {current.label} ».")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(
            f"« {s.label} »" for s in sorted(TRANSITIONS[current], key=list(S).index)
        )
        raise TransitionRefused(
            f"De « {current.label} », un projet ne peut passer qu'à : {allowed or 'aucune étape'}."
        )
    if target == S.LOST and not (reason and reason.strip()):
        raise TransitionRefused("Indiquez pourquoi le projet est perdu.")


def allowed_targets(current: LeadStage) -> list[LeadStage]:
    """The stages a lead may move to, in pipeline order."""
    return sorted(TRANSITIONS[current], key=list(S).index)


def reached(stage: LeadStage, history: list[LeadStage]) -> set[LeadStage]:
    """The funnel stages a lead went through (from its stage history and current stage)."""
    seen = set(history) | {stage}
    deepest = max((FUNNEL.index(s) for s in seen if s in FUNNEL), default=0)
    return set(FUNNEL[: deepest + 1])

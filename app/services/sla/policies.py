"""Which SLA policy applies to a visit, and policies as records an admin keeps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, ValidationFailed
from app.models import CustomerTier, SlaPolicy, VisitKind


def active_policies(session: Session) -> list[SlaPolicy]:
    """Every active policy, in a stable order."""
    return list(session.scalars(select(SlaPolicy).where(SlaPolicy.active.is_(True))))


def policy_for(
    policies: Iterable[SlaPolicy], kind: VisitKind, priority: int, tier: CustomerTier
) -> SlaPolicy | None:
    """The most specific policy matching; kind counts most, then tier, then priority."""
    best, best_rank = None, -1
    for policy in policies:
        if policy.kind not in (None, kind) or policy.tier not in (None, tier):
            continue
        if policy.priority not in (None, priority):
            continue
        rank = 4 * (policy.kind is not None) + 2 * (policy.tier is not None)
        rank += policy.priority is not None
        if rank > best_rank or (rank == best_rank and policy.id < best.id):
            best, best_rank = policy, rank
    return best



POLICY_FIELDS = (
    "name",
    "kind",
    "priority",
    "tier",
    "response_min",
    "resolution_min",
    "warn_before_min",
    "active",
)


def save_policy(session: Session, policy: SlaPolicy, changes: dict[str, object]) -> SlaPolicy:
    """Create or change a policy: targets must be consistent and each scope held by one policy."""
    for name, value in changes.items():
        setattr(policy, name, value)
    if policy.resolution_min < policy.response_min:
        raise ValidationFailed(
            "the resolution target cannot be shorter than the response target",
            fields={"resolution_min": ["shorter than response_min"]},
        )
    clash = session.scalar(
        select(SlaPolicy.id).where(
            _same(SlaPolicy.kind, policy.kind),
            _same(SlaPolicy.priority, policy.priority),
            _same(SlaPolicy.tier, policy.tier),
            SlaPolicy.id != (policy.id or 0),
        )
    )
    if clash is not None:
        raise Conflict(
            "policy %(policy)s already covers this kind, priority and tier",
            params={"policy": clash},
            code="policy_exists",
            details={"policy_id": clash},
        )
    session.add(policy)
    session.flush()
    return policy


def _same(column: Any, value: object) -> Any:
    # NULL means "any" here, and two "any" scopes clash: compare NULL-safely.
    return column.is_(None) if value is None else column == value

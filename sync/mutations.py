"""The push protocol: an ordered batch of named mutations, applied exactly once.

Each device numbers its mutations 1, 2, 3, ... A mutation at or below the device's last
acknowledged id is a retry: its stored receipt is answered again (and refused if its content
differs). The next new id must be exactly last acknowledged + 1. Each new mutation runs in its own
SAVEPOINT; a domain refusal rolls back only that savepoint and is acknowledged as `rejected`, so
one bad write never blocks the queue. Only a database fault escapes (the HTTP layer answers 503
and nothing of the batch is kept).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
from marshmallow import validate
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.exc import StaleDataError

from app import dates
from app.errors import AppError, Conflict, NotFound
from app.models import (
    Device,
    MutationReceipt,
    PhotoKind,
    Visit,
    VisitAssignment,
    VisitReview,
    VisitStatus,
)
from app.services import fieldwork
from app.services.fieldwork import Actor

APPLIED = "applied"
REJECTED = "rejected"
FOR_REVIEW = "accepted_for_review"


class MutationIdReused(Conflict):
    code = "mutation_id_reused"


class MutationSequenceGap(Conflict):
    code = "mutation_sequence_gap"


@dataclass(frozen=True)
class Mutation:
    """One pushed mutation as the device sent it."""

    id: int
    name: str
    args: dict[str, Any]
    base_version: int | None = None
    device_time: dt.datetime | None = None

    def content_hash(self) -> str:
        """A digest of everything the device said, to tell a retry from a reused id.

        `device_time` counts as an instant: the same moment written with another UTC offset
        (a phone that changed time zone between two sends) is the same mutation.
        """
        instant = self.device_time.astimezone(dt.UTC) if self.device_time else None
        return self._digest(instant.isoformat() if instant else None)

    def legacy_content_hash(self) -> str:
        """The digest receipts stored before `content_hash` read the time as an instant."""
        return self._digest(self.device_time.isoformat() if self.device_time else None)

    def _digest(self, device_time: str | None) -> str:
        body = {
            "name": self.name,
            "args": self.args,
            "base_version": self.base_version,
            "device_time": device_time,
        }
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def matches(self, receipt_hash: str) -> bool:
        """Whether a stored receipt's digest is this mutation's (either digest form)."""
        return receipt_hash in (self.content_hash(), self.legacy_content_hash())


@dataclass
class Outcome:
    """The definite answer to one mutation."""

    outcome: str
    code: str | None = None
    message: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class PushResult:
    results: list[dict[str, Any]]
    last_acked_mutation_id: int


# --- argument schemas --------------------------------------------------------------------------


class _Args(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    visit_id = ma.fields.Integer(required=True)


_UUID = {"validate": validate.Regexp(r"^[0-9a-fA-F-]{32,36}$", error="must be a UUID")}
_SHA = {"validate": validate.Regexp(r"^[0-9a-f]{64}$", error="must be a hex SHA-256")}


class _NoteArgs(_Args):
    note_id = ma.fields.String(required=True, **_UUID)
    body = ma.fields.String(required=True, validate=validate.Length(1, 10000))


class _IncompleteArgs(_Args):
    reason = ma.fields.String(required=True, validate=validate.Length(1, 2000))


class _AnswerArgs(_Args):
    item_key = ma.fields.String(required=True, validate=validate.Length(1, 80))
    value = ma.fields.Raw(required=True, allow_none=True)


class _PhotoArgs(_Args):
    photo_id = ma.fields.String(required=True, **_UUID)
    sha256 = ma.fields.String(required=True, **_SHA)
    kind = ma.fields.String(
        load_default="other", validate=validate.OneOf([k.value for k in PhotoKind])
    )
    caption = ma.fields.String(allow_none=True, validate=validate.Length(max=300))
    checklist_item_key = ma.fields.String(allow_none=True, validate=validate.Length(max=80))
    taken_at = ma.fields.AwareDateTime(allow_none=True, validate=dates.InCalendar())
    gps_lat = ma.fields.Float(allow_none=True, validate=validate.Range(-90, 90))
    gps_lon = ma.fields.Float(allow_none=True, validate=validate.Range(-180, 180))


class _SignatureArgs(_Args):
    signature_id = ma.fields.String(required=True, **_UUID)
    signer_name = ma.fields.String(required=True, validate=validate.Length(1, 200))
    sha256 = ma.fields.String(allow_none=True, **_SHA)


# --- handlers ----------------------------------------------------------------------------------


@dataclass
class Context:
    session: Session
    device: Device
    technician_id: int
    actor: Actor
    mutation: Mutation


Handler = Callable[[Context, Visit, dict[str, Any]], Any]


def _start_travel(ctx: Context, visit: Visit, _args: dict[str, Any]) -> Any:
    return fieldwork.start_travel(ctx.session, visit, ctx.actor)


def _arrive(ctx: Context, visit: Visit, _args: dict[str, Any]) -> Any:
    return fieldwork.arrive(ctx.session, visit, ctx.actor)


def _complete(ctx: Context, visit: Visit, _args: dict[str, Any]) -> Any:
    return fieldwork.complete(ctx.session, visit, ctx.actor)


def _mark_incomplete(ctx: Context, visit: Visit, args: dict[str, Any]) -> Any:
    return fieldwork.mark_incomplete(ctx.session, visit, args["reason"], ctx.actor)


def _add_note(ctx: Context, visit: Visit, args: dict[str, Any]) -> Any:
    return fieldwork.add_note(ctx.session, visit, args["note_id"], args["body"], ctx.actor)


def _set_answer(ctx: Context, visit: Visit, args: dict[str, Any]) -> Any:
    return fieldwork.set_answer(ctx.session, visit, args["item_key"], args["value"], ctx.actor)


def _attach_photo(ctx: Context, visit: Visit, args: dict[str, Any]) -> Any:
    return fieldwork.attach_photo(ctx.session, visit, args["photo_id"], args, ctx.actor)


def _capture_signature(ctx: Context, visit: Visit, args: dict[str, Any]) -> Any:
    return fieldwork.capture_signature(
        ctx.session,
        visit,
        args["signature_id"],
        args["signer_name"],
        args.get("sha256"),
        ctx.actor,
    )


@dataclass(frozen=True)
class Spec:
    schema: type[ma.Schema]
    handler: Handler
    # Append-only work is kept on a visit under review; status moves and answers are not applied.
    keeps_work_under_review: bool


MUTATIONS: dict[str, Spec] = {
    "visit.start_travel": Spec(_Args, _start_travel, False),
    "visit.arrive": Spec(_Args, _arrive, False),
    "visit.complete": Spec(_Args, _complete, False),
    "visit.mark_incomplete": Spec(_IncompleteArgs, _mark_incomplete, False),
    "visit.add_note": Spec(_NoteArgs, _add_note, True),
    "checklist.set_answer": Spec(_AnswerArgs, _set_answer, False),
    "photo.attach": Spec(_PhotoArgs, _attach_photo, True),
    "visit.capture_signature": Spec(_SignatureArgs, _capture_signature, True),
}


# --- the batch ---------------------------------------------------------------------------------


def push(session: Session, device: Device, user_id: int, mutations: list[Mutation]) -> PushResult:
    """Apply a batch in order, exactly once per mutation id; returns one result per mutation."""
    receipts = _receipts(
        session, device, [m.id for m in mutations if m.id <= device.last_acked_mutation_id]
    )
    _check_batch(device, mutations, receipts)
    acked = device.last_acked_mutation_id
    results: list[dict[str, Any]] = []
    new_receipts: list[MutationReceipt] = []
    for mutation in mutations:
        if mutation.id <= acked:
            results.append(receipts[mutation.id].result)
            continue
        outcome = _apply(session, device, user_id, mutation)
        result = {"id": mutation.id, "name": mutation.name, **_outcome_dict(outcome)}
        new_receipts.append(
            MutationReceipt(
                device_pk=device.id,
                mutation_id=mutation.id,
                name=mutation.name[:60],
                content_hash=mutation.content_hash(),
                outcome=outcome.outcome,
                result=result,
                device_time=mutation.device_time,
            )
        )
        results.append(result)
    if new_receipts:
        # Written once for the batch, in the same transaction as the work they acknowledge.
        session.add_all(new_receipts)
        device.last_acked_mutation_id = new_receipts[-1].mutation_id
    session.flush()
    return PushResult(results=results, last_acked_mutation_id=device.last_acked_mutation_id)


def _receipts(session: Session, device: Device, ids: list[int]) -> dict[int, MutationReceipt]:
    if not ids:
        return {}
    rows = session.scalars(
        select(MutationReceipt).where(
            MutationReceipt.device_pk == device.id, MutationReceipt.mutation_id.in_(ids)
        )
    )
    return {r.mutation_id: r for r in rows}


def _check_batch(
    device: Device, mutations: list[Mutation], receipts: dict[int, MutationReceipt]
) -> None:
    """Refuse the whole batch for a reused id or a gap; nothing is applied then.

    Both answers carry `last_acked_mutation_id`: the phone renumbers its outbox from the next id
    and sends again (every mutation is safe to apply twice, so that is always allowed).
    """
    expected = device.last_acked_mutation_id + 1
    for mutation in mutations:
        if mutation.id < expected:
            receipt = receipts.get(mutation.id)
            if receipt is None or not mutation.matches(receipt.content_hash):
                raise MutationIdReused(
                    "mutation id %(id)s was already used for different content",
                    params={"id": mutation.id},
                    details={
                        "mutation_id": mutation.id,
                        "last_acked_mutation_id": device.last_acked_mutation_id,
                    },
                )
            continue
        if mutation.id != expected:
            raise MutationSequenceGap(
                "mutation ids must follow each other; expected %(expected)s, got %(got)s",
                params={"expected": expected, "got": mutation.id},
                details={
                    "expected": expected,
                    "got": mutation.id,
                    "last_acked_mutation_id": device.last_acked_mutation_id,
                },
            )
        expected += 1


def _apply(session: Session, device: Device, user_id: int, mutation: Mutation) -> Outcome:
    spec = MUTATIONS.get(mutation.name)
    if spec is None:
        return Outcome(
            REJECTED,
            "unknown_mutation",
            f"unknown mutation {mutation.name!r}",
            {"supported": sorted(MUTATIONS)},
        )
    try:
        args = spec.schema().load(mutation.args)
    except ma.ValidationError as exc:
        return Outcome(REJECTED, "validation_error", "invalid arguments", {"fields": exc.messages})
    ctx = Context(
        session, device, device.technician_id, Actor(user_id, mutation.device_time), mutation
    )
    try:
        with session.begin_nested():
            return _run(ctx, spec, args)
    except OperationalError:
        raise
    except AppError as exc:
        details = dict(exc.details)
        if exc.fields:
            details["fields"] = exc.fields
        return Outcome(REJECTED, exc.code, exc.message, details)
    except (IntegrityError, DataError, StaleDataError) as exc:
        return Outcome(REJECTED, "integrity_error", str(exc.__class__.__name__), {})


def _run(ctx: Context, spec: Spec, args: dict[str, Any]) -> Outcome:
    # Locked so a concurrent back-office write waits instead of failing the version check.
    visit = ctx.session.get(
        Visit, args["visit_id"], with_for_update=True, options=[lazyload(Visit.required_skills)]
    )
    if visit is None:
        return _review_deleted(ctx, args["visit_id"])
    reason = _review_reason(ctx, visit)
    if reason is None:
        seen_version = visit.version
        changed = spec.handler(ctx, visit, args)
        details: dict[str, Any] = {"visit_version": visit.version}
        base = ctx.mutation.base_version
        if base is not None and base != seen_version:
            # Merge by field: the phone's fields went onto a visit others changed meanwhile.
            details["merged_over_version"] = seen_version
        if changed is False:
            details["unchanged"] = True
        return Outcome(APPLIED, details=details)
    # The visit is no longer this technician's to work on: keep what was done, flag it.
    kept = False
    if spec.keeps_work_under_review:
        spec.handler(ctx, visit, args)
        kept = True
    ctx.session.add(
        VisitReview(
            visit_id=visit.id,
            technician_id=ctx.technician_id,
            device_pk=ctx.device.id,
            mutation_id=ctx.mutation.id,
            mutation_name=ctx.mutation.name,
            reason=reason,
            details={
                "args": ctx.mutation.args,
                "device_time": ctx.actor.device_time.isoformat() if ctx.actor.device_time else None,
                "visit_status": str(visit.status),
                "kept": kept,
            },
        )
    )
    ctx.session.flush()
    return Outcome(
        FOR_REVIEW,
        reason,
        f"visit {visit.id} is {reason.replace('_', ' ')}; a dispatcher will review",
        {"kept": kept},
    )


def _review_deleted(ctx: Context, visit_id: int) -> Outcome:
    """Work for a visit deleted while the phone was offline: nothing to apply it to, so the
    whole mutation goes to a dispatcher. A visit never given to this technician stays unknown."""
    if not _was_assigned(ctx, visit_id):
        raise NotFound("visit %(id)s does not exist", params={"id": visit_id})
    ctx.session.add(
        VisitReview(
            visit_id=None,
            technician_id=ctx.technician_id,
            device_pk=ctx.device.id,
            mutation_id=ctx.mutation.id,
            mutation_name=ctx.mutation.name,
            reason="deleted",
            details={
                "visit_id": visit_id,
                "args": ctx.mutation.args,
                "device_time": ctx.actor.device_time.isoformat() if ctx.actor.device_time else None,
                "kept": False,
            },
        )
    )
    ctx.session.flush()
    return Outcome(
        FOR_REVIEW,
        "deleted",
        f"visit {visit_id} was deleted; a dispatcher will review",
        {"kept": False},
    )


def _was_assigned(ctx: Context, visit_id: int) -> bool:
    return (
        ctx.session.scalar(
            select(VisitAssignment.id)
            .where(
                VisitAssignment.visit_id == visit_id,
                VisitAssignment.technician_id == ctx.technician_id,
            )
            .limit(1)
        )
        is not None
    )


def _review_reason(ctx: Context, visit: Visit) -> str | None:
    """None when the visit is the technician's to work on, else why it needs review.

    A visit never assigned to this technician answers NotFound (its existence does not leak).
    """
    if visit.technician_id != ctx.technician_id:
        if not _was_assigned(ctx, visit.id):
            raise NotFound("visit %(id)s does not exist", params={"id": visit.id})
        return "reassigned"
    if visit.status == VisitStatus.CANCELLED:
        return "cancelled"
    if ctx.mutation.name == "visit.complete" and visit.status in (
        VisitStatus.NEW,
        VisitStatus.SCHEDULED,
    ):
        return "not_dispatched"
    return None


def _outcome_dict(outcome: Outcome) -> dict[str, Any]:
    return {
        "outcome": outcome.outcome,
        "code": outcome.code,
        "message": outcome.message,
        "details": outcome.details,
    }

"""Complaints: opened by bad verdicts (or by staff) and moved stage by stage until closed."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate
from sqlalchemy import select

from app.api.concurrency import check_update
from app.api.fields import RecordSchema, Strict, aware_datetime
from app.api.pagination import SelectPage
from app.api.security import STAFF, current_user, requires
from app.database import db, utcnow
from app.models import Complaint, ComplaintStage
from app.services import complaints as complaint_service
from app.services.records import get_or_404

blp = Blueprint(
    "complaints", __name__, url_prefix="/api/v1/complaints", description="The complaint loop"
)


class ComplaintStepSchema(Strict):
    id = ma.fields.Integer()
    from_stage = ma.fields.String(allow_none=True)
    to_stage = ma.fields.String()
    actor_user_id = ma.fields.Integer(allow_none=True)
    at = aware_datetime()
    due_at = aware_datetime(allow_none=True)
    fields = ma.fields.Dict()
    note = ma.fields.String(allow_none=True)


class ComplaintSchema(RecordSchema):
    customer_id = ma.fields.Integer(required=True)
    visit_id = ma.fields.Integer(allow_none=True)
    rating_id = ma.fields.Integer(dump_only=True, allow_none=True)
    source = ma.fields.String(dump_only=True)
    summary = ma.fields.String(required=True, validate=validate.Length(1, 4000))
    stage = ma.fields.Enum(ComplaintStage, by_value=True, dump_only=True)
    due_at = aware_datetime(dump_only=True, allow_none=True)
    overdue = ma.fields.Function(lambda c: complaint_service.is_overdue(c), dump_only=True)
    next_stage = ma.fields.Function(lambda c: complaint_service.next_stage(c.stage), dump_only=True)
    owner_user_id = ma.fields.Integer(dump_only=True, allow_none=True)
    cause_category = ma.fields.String(dump_only=True, allow_none=True)
    action_taken = ma.fields.String(dump_only=True, allow_none=True)
    customer_answer = ma.fields.String(dump_only=True, allow_none=True)
    closed_at = aware_datetime(dump_only=True, allow_none=True)
    history = ma.fields.List(ma.fields.Nested(ComplaintStepSchema), dump_only=True)


class ComplaintQuery(Strict):
    stage = ma.fields.List(ma.fields.Enum(ComplaintStage, by_value=True))
    customer_id = ma.fields.Integer()
    owner_user_id = ma.fields.Integer()
    open = ma.fields.Boolean()
    overdue = ma.fields.Boolean()


class StageMoveSchema(Strict):
    to = ma.fields.Enum(ComplaintStage, by_value=True, required=True)
    version = ma.fields.Integer(validate=validate.Range(min=1))
    owner_user_id = ma.fields.Integer(metadata={"description": "Required to move to assigned"})
    cause_category = ma.fields.String(
        validate=validate.OneOf(complaint_service.CAUSE_CATEGORIES),
        metadata={"description": "Required to move to root_cause"},
    )
    action_taken = ma.fields.String(
        validate=validate.Length(1, 4000),
        metadata={"description": "Required to move to corrective_action"},
    )
    customer_answer = ma.fields.String(
        validate=validate.Length(1, 4000),
        metadata={"description": "Required to move to customer_feedback"},
    )
    note = ma.fields.String(validate=validate.Length(max=4000))


@blp.route("", strict_slashes=False)
class Complaints(MethodView):
    @requires(*STAFF)
    @blp.arguments(ComplaintQuery, location="query")
    @blp.response(200, ComplaintSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, query: dict[str, Any]) -> Any:
        """List complaints (filter by stage, customer, owner, open, overdue)"""
        stmt = select(Complaint).order_by(Complaint.due_at.is_(None), Complaint.due_at)
        if query.get("stage"):
            stmt = stmt.where(Complaint.stage.in_(query["stage"]))
        for name in ("customer_id", "owner_user_id"):
            if name in query:
                stmt = stmt.where(getattr(Complaint, name) == query[name])
        if "open" in query:
            closed = Complaint.stage == ComplaintStage.CLOSED
            stmt = stmt.where(~closed if query["open"] else closed)
        if "overdue" in query:
            late = Complaint.due_at < utcnow()
            stmt = stmt.where(late if query["overdue"] else ~late | Complaint.due_at.is_(None))
        return stmt

    @requires(*STAFF)
    @blp.arguments(ComplaintSchema)
    @blp.response(201, ComplaintSchema)
    def post(self, data: dict[str, Any]) -> Complaint:
        """Open a complaint by hand (e.g. from a phone call)"""
        complaint = complaint_service.open_complaint(
            db.session,
            customer_id=data["customer_id"],
            visit_id=data.get("visit_id"),
            summary=data["summary"],
            source="manual",
            actor_user_id=current_user().id,
        )
        db.session.commit()
        return complaint


@blp.route("/<int:complaint_id>")
class ComplaintById(MethodView):
    @requires(*STAFF)
    @blp.response(200, ComplaintSchema)
    def get(self, complaint_id: int) -> Complaint:
        """A complaint with its whole history"""
        return get_or_404(db.session, Complaint, complaint_id)


@blp.route("/<int:complaint_id>/transitions")
class ComplaintTransitions(MethodView):
    @requires(*STAFF)
    @blp.arguments(StageMoveSchema)
    @blp.response(200, ComplaintSchema)
    @blp.alt_response(409, description="A skipped stage, or a stale version")
    @blp.alt_response(422, description="The stage's required field is missing")
    def post(self, data: dict[str, Any], complaint_id: int) -> Complaint:
        """Move a complaint to its next stage with the fields that stage demands"""
        complaint = get_or_404(db.session, Complaint, complaint_id)
        if "version" in data or "If-Match" in request.headers:
            check_update(complaint, data)
        to = data.pop("to")
        note = data.pop("note", None)
        complaint_service.advance(
            db.session, complaint, to, fields=data, note=note, actor_user_id=current_user().id
        )
        db.session.commit()
        return complaint

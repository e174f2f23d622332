"""The dispatchers' inbox of customer requests (self-service repairs, changes to visits) and
customers' message preferences."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from app.api.fields import Strict, aware_datetime
from app.api.security import STAFF, current_user, requires
from app.api.settings import settings
from app.config import LOCALES
from app.database import db
from app.models import ChangeKind, ChangeRequest, ChangeStatus, Customer, RepairRequest
from app.services import notices, repair_requests, visit_changes
from app.services.notices import Preferences
from app.services.records import get_or_404

blp = Blueprint(
    "customer_requests",
    __name__,
    url_prefix="/api/v1/customer-requests",
    description="Customers' repair requests and changes to visits, for dispatchers to act on",
)


class WindowSchema(Strict):
    start = ma.fields.String()
    end = ma.fields.String()


class RepairRequestSchema(Strict):
    id = ma.fields.Integer()
    visit_id = ma.fields.Integer(metadata={"description": "The repair visit, created in `new`"})
    order_id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    product = ma.fields.String()
    description = ma.fields.String()
    proposed_windows = ma.fields.List(ma.fields.Nested(WindowSchema))
    channel = ma.fields.String(metadata={"description": "progress (page) or public (/request)"})
    created_at = aware_datetime()
    acknowledged_at = aware_datetime(allow_none=True)
    acknowledged_by_user_id = ma.fields.Integer(allow_none=True)


class RepairQuery(Strict):
    acknowledged = ma.fields.Boolean(
        metadata={"description": "false: only requests no dispatcher has seen yet"}
    )


class ChangeRequestSchema(Strict):
    id = ma.fields.Integer()
    visit_id = ma.fields.Integer()
    order_id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    kind = ma.fields.Enum(ChangeKind, by_value=True)
    status = ma.fields.Enum(ChangeStatus, by_value=True)
    window_start = aware_datetime(allow_none=True)
    window_end = aware_datetime(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    created_at = aware_datetime()
    decided_at = aware_datetime(allow_none=True)
    decided_by_user_id = ma.fields.Integer(allow_none=True)
    decision_note = ma.fields.String(allow_none=True)


class ChangeQuery(Strict):
    status = ma.fields.Enum(ChangeStatus, by_value=True, load_default=ChangeStatus.PENDING)


class DecisionSchema(Strict):
    note = ma.fields.String(load_default=None, validate=ma.validate.Length(max=1000))


@blp.route("/repairs")
class RepairRequests(MethodView):
    @requires(*STAFF)
    @blp.arguments(RepairQuery, location="query")
    @blp.response(200, RepairRequestSchema(many=True))
    def get(self, query: dict[str, Any]) -> list[RepairRequest]:
        """Self-service repair requests, oldest first (acknowledged=false: the new ones)"""
        stmt = select(RepairRequest).order_by(RepairRequest.created_at, RepairRequest.id)
        if "acknowledged" in query:
            stmt = stmt.where(RepairRequest.acknowledged_at.is_not(None) == query["acknowledged"])
        return list(db.session.scalars(stmt.limit(500)))


@blp.route("/repairs/<int:request_id>/acknowledge")
class AcknowledgeRepair(MethodView):
    @requires(*STAFF)
    @blp.response(200, RepairRequestSchema)
    def post(self, request_id: int) -> RepairRequest:
        """Mark a repair request as seen (its visit is planned like any other)"""
        found = get_or_404(db.session, RepairRequest, request_id)
        repair_requests.acknowledge(db.session, found, actor_user_id=current_user().id)
        db.session.commit()
        return found


@blp.route("/changes")
class ChangeRequests(MethodView):
    @requires(*STAFF)
    @blp.arguments(ChangeQuery, location="query")
    @blp.response(200, ChangeRequestSchema(many=True))
    def get(self, query: dict[str, Any]) -> list[ChangeRequest]:
        """Customers' requests to move or cancel a visit (default: pending), oldest first"""
        return list(
            db.session.scalars(
                select(ChangeRequest)
                .where(ChangeRequest.status == query["status"])
                .order_by(ChangeRequest.created_at, ChangeRequest.id)
                .limit(500)
            )
        )


@blp.route("/changes/<int:change_id>/confirm")
class ConfirmChange(MethodView):
    @requires(*STAFF)
    @blp.arguments(DecisionSchema)
    @blp.response(200, ChangeRequestSchema)
    def post(self, _data: dict[str, Any], change_id: int) -> ChangeRequest:
        """Make the change: move the visit to the window (re-planned if needed) or cancel it"""
        change = get_or_404(db.session, ChangeRequest, change_id)
        visit_changes.confirm(db.session, settings(), change, actor_user_id=current_user().id)
        db.session.commit()
        return change


@blp.route("/changes/<int:change_id>/decline")
class DeclineChange(MethodView):
    @requires(*STAFF)
    @blp.arguments(DecisionSchema)
    @blp.response(200, ChangeRequestSchema)
    def post(self, data: dict[str, Any], change_id: int) -> ChangeRequest:
        """Refuse the change; the visit stays as it was and the customer is told"""
        change = get_or_404(db.session, ChangeRequest, change_id)
        visit_changes.decline(
            db.session, settings(), change, actor_user_id=current_user().id, note=data["note"]
        )
        db.session.commit()
        return change


preferences = Blueprint(
    "customer_preferences",
    __name__,
    url_prefix="/api/v1/customers",
    description="How customers want to hear from us (language, channel, opt-out)",
)


class PreferencesSchema(Strict):
    language = ma.fields.String(
        allow_none=True, validate=ma.validate.OneOf(LOCALES), load_default=None
    )
    channel = ma.fields.String(
        allow_none=True, validate=ma.validate.OneOf(notices.CHANNELS), load_default=None
    )
    opted_out = ma.fields.Boolean(load_default=False)


@preferences.route("/<int:customer_id>/message-preferences")
class CustomerPreferences(MethodView):
    @requires(*STAFF)
    @preferences.response(200, PreferencesSchema)
    def get(self, customer_id: int) -> Preferences:
        """The customer's message language, channel and opt-out (defaults when never set)"""
        get_or_404(db.session, Customer, customer_id)
        return notices.preferences(db.session, customer_id)

    @requires(*STAFF)
    @preferences.arguments(PreferencesSchema)
    @preferences.response(200, PreferencesSchema)
    def put(self, data: dict[str, Any], customer_id: int) -> Preferences:
        """Set them, e.g. when a customer asks by phone to stop messages"""
        get_or_404(db.session, Customer, customer_id)
        chosen = notices.set_preferences(db.session, customer_id, Preferences(**data))
        db.session.commit()
        return chosen

"""SLA policies, alerts and clocks; run the SLA check on demand."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate
from sqlalchemy import select

from app.api.fields import JsonBoolean, Strict, aware_datetime
from app.api.fields import priority as priority_field
from app.api.pagination import SelectPage
from app.api.security import STAFF, requires
from app.api.settings import local_zone, settings
from app.database import db, utcnow
from app.models import CustomerTier, Role, SlaAlert, SlaPolicy, Visit, VisitKind
from app.services.records import get_or_404
from app.services.sla.check import CheckResult, run_check
from app.services.sla.clocks import visit_clocks
from app.services.sla.policies import active_policies, policy_for, save_policy
from app.services.sla.progress import progress_of
from app.services.sla.projection import project_day
from app.services.travel import travel_model

blp = Blueprint("sla", __name__, url_prefix="/api/v1/sla", description="SLA policies and alerts")


class PolicySchema(Strict):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=validate.Length(1, 120))
    kind = ma.fields.Enum(VisitKind, by_value=True, allow_none=True, load_default=None)
    priority = priority_field(allow_none=True, load_default=None)
    tier = ma.fields.Enum(CustomerTier, by_value=True, allow_none=True, load_default=None)
    response_min = ma.fields.Integer(required=True, validate=validate.Range(1, 365 * 24 * 60))
    resolution_min = ma.fields.Integer(required=True, validate=validate.Range(1, 365 * 24 * 60))
    warn_before_min = ma.fields.Integer(load_default=60, validate=validate.Range(0, 7 * 24 * 60))
    active = JsonBoolean(load_default=True)


class AlertSchema(Strict):
    id = ma.fields.Integer()
    subject = ma.fields.String()
    subject_id = ma.fields.Integer()
    target = ma.fields.String()
    level = ma.fields.String()
    due_at = aware_datetime()
    projected_at = aware_datetime(allow_none=True)
    message = ma.fields.String()
    created_at = aware_datetime()


class AlertQuery(Strict):
    level = ma.fields.String(validate=validate.OneOf(["warning", "breach"]))
    subject = ma.fields.String(validate=validate.OneOf(["visit", "complaint"]))


class ClockSchema(Strict):
    target = ma.fields.String()
    due = aware_datetime()
    state = ma.fields.String()
    remaining_min = ma.fields.Integer()
    done_at = aware_datetime(allow_none=True)
    projected_at = aware_datetime(allow_none=True)


class VisitClocksSchema(Strict):
    visit_id = ma.fields.Integer()
    policy_id = ma.fields.Integer(allow_none=True)
    clocks = ma.fields.List(ma.fields.Nested(ClockSchema))


class CheckResultSchema(Strict):
    checked_visits = ma.fields.Integer()
    checked_complaints = ma.fields.Integer()
    warnings = ma.fields.List(ma.fields.Nested(AlertSchema))
    breaches = ma.fields.List(ma.fields.Nested(AlertSchema))


@blp.route("/policies", strict_slashes=False)
class Policies(MethodView):
    @requires(*STAFF)
    @blp.response(200, PolicySchema(many=True))
    def get(self) -> Any:
        """List SLA policies: response and resolution minutes by kind, priority and tier"""
        return db.session.scalars(select(SlaPolicy).order_by(SlaPolicy.id)).all()

    @requires(Role.ADMIN)
    @blp.arguments(PolicySchema)
    @blp.response(201, PolicySchema)
    def post(self, data: dict[str, Any]) -> SlaPolicy:
        """Create a policy (one per kind, priority and tier; empty matches any)"""
        policy = save_policy(db.session, SlaPolicy(), data)
        db.session.commit()
        return policy


@blp.route("/policies/<int:policy_id>")
class PolicyById(MethodView):
    @requires(Role.ADMIN)
    @blp.arguments(PolicySchema(partial=True))
    @blp.response(200, PolicySchema)
    def patch(self, data: dict[str, Any], policy_id: int) -> SlaPolicy:
        """Change a policy's scope or targets"""
        policy = save_policy(db.session, get_or_404(db.session, SlaPolicy, policy_id), data)
        db.session.commit()
        return policy


@blp.route("/alerts", strict_slashes=False)
class Alerts(MethodView):
    @requires(*STAFF)
    @blp.arguments(AlertQuery, location="query")
    @blp.response(200, AlertSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, query: dict[str, Any]) -> Any:
        """Warnings and breaches raised by the SLA check, newest first"""
        stmt = select(SlaAlert).order_by(SlaAlert.id.desc())
        for name in ("level", "subject"):
            if name in query:
                stmt = stmt.where(getattr(SlaAlert, name) == query[name])
        return stmt


@blp.route("/visits/<int:visit_id>")
class VisitClocks(MethodView):
    @requires(*STAFF)
    @blp.response(200, VisitClocksSchema)
    def get(self, visit_id: int) -> dict[str, Any]:
        """A visit's response and resolution clocks, projected from today's progress"""
        visit = get_or_404(db.session, Visit, visit_id)
        now, tz = utcnow(), local_zone()
        policy = policy_for(
            active_policies(db.session), visit.kind, visit.priority, visit.customer.tier
        )
        projections = project_day(
            db.session, now.astimezone(tz).date(), tz, now, travel_model(settings())
        )
        clocks = visit_clocks(
            visit,
            policy,
            now,
            progress=progress_of(db.session, [visit.id]).get(visit.id),
            projection=projections.get(visit.id),
        )
        return {"visit_id": visit.id, "policy_id": policy.id if policy else None, "clocks": clocks}


@blp.route("/check")
class Check(MethodView):
    @requires(*STAFF)
    @blp.response(200, CheckResultSchema)
    def post(self) -> CheckResult:
        """Run the SLA check now (the scheduler runs it every few minutes)"""
        result = run_check(db.session, settings())
        db.session.commit()
        return result

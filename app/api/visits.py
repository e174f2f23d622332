"""Visits: the work itself, and the one way to change a visit's status."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from app.api.concurrency import expected_version
from app.api.fields import (
    BoundedDate,
    JsonBoolean,
    ListQuery,
    RecordSchema,
    Strict,
    aware_datetime,
    patch_of,
)
from app.api.fields import priority as priority_field
from app.api.pagination import SelectPage
from app.api.security import ANY_ROLE, STAFF, current_user, requires
from app.api.settings import local_zone
from app.database import db
from app.models import LockState, Role, Visit, VisitKind, VisitStatus
from app.services import access
from app.services import visits as visit_service
from app.services.completion import complete_visit
from app.services.records import delete_record, get_or_404

blp = Blueprint("visits", __name__, url_prefix="/api/v1/visits")


class RequiredSkillSchema(Strict):
    code = ma.fields.String(required=True, validate=validate.Length(1, 40))
    min_level = ma.fields.Integer(load_default=1, validate=validate.Range(1, 5))


class VisitSchema(RecordSchema):
    kind = ma.fields.Enum(VisitKind, by_value=True, required=True)
    customer_id = ma.fields.Integer(required=True)
    site_id = ma.fields.Integer(required=True)
    order_id = ma.fields.Integer(allow_none=True)
    duration_min = ma.fields.Integer(load_default=60, validate=validate.Range(1, 1440))
    window_start = aware_datetime(allow_none=True)
    window_end = aware_datetime(allow_none=True)
    sla_due = aware_datetime(allow_none=True)
    sla_hard = JsonBoolean(load_default=False)
    priority = priority_field(load_default=3)
    technician_id = ma.fields.Integer(allow_none=True)
    planned_start = aware_datetime(allow_none=True)
    lock = ma.fields.Enum(LockState, by_value=True, load_default=LockState.NONE)
    status = ma.fields.Enum(VisitStatus, by_value=True, dump_only=True)
    status_changed_at = aware_datetime(dump_only=True)
    depends_on_visit_id = ma.fields.Integer(allow_none=True)
    depends_min_days = ma.fields.Integer(load_default=0, validate=validate.Range(0, 365))
    description = ma.fields.String(allow_none=True, validate=validate.Length(max=4000))
    required_skills = ma.fields.List(ma.fields.Nested(RequiredSkillSchema), load_default=list)
    customer_name = ma.fields.Function(lambda v: v.customer.name, dump_only=True)

    @ma.validates_schema
    def _window_order(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and end <= start:
            raise ma.ValidationError("window_end must be after window_start", "window_end")

    @ma.post_dump(pass_original=True)
    def _dump_skills(self, data: dict[str, Any], original: Visit, **_: Any) -> dict:
        data["required_skills"] = [
            {"code": s.skill.code, "min_level": s.min_level} for s in original.required_skills
        ]
        return data


class VisitQuery(ListQuery):
    status = ma.fields.List(ma.fields.Enum(VisitStatus, by_value=True))
    kind = ma.fields.Enum(VisitKind, by_value=True)
    technician_id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    unassigned = ma.fields.Boolean()
    date_from = BoundedDate(metadata={"description": "Window or planned start on/after"})
    date_to = BoundedDate(metadata={"description": "Window or planned start on/before"})


class TransitionSchema(Strict):
    to = ma.fields.Enum(
        VisitStatus,
        by_value=True,
        required=True,
        metadata={
            "description": "new -> scheduled -> dispatched -> en_route -> on_site -> completed | "
            "incomplete; cancelled from any open state. `new` from scheduled or dispatched "
            "unschedules the visit: its technician, planned start and lock are cleared so it "
            "can be planned again."
        },
    )


class StatusChangeSchema(Strict):
    id = ma.fields.Integer()
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String()
    actor_user_id = ma.fields.Integer(allow_none=True)
    source = ma.fields.String()
    at = aware_datetime()
    device_time = aware_datetime(allow_none=True)


@blp.route("", strict_slashes=False)
class Visits(MethodView):
    @requires(*ANY_ROLE)
    @blp.arguments(VisitQuery, location="query")
    @blp.response(200, VisitSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, query: dict[str, Any]) -> Any:
        """List visits (technicians see only their own)"""
        return visit_service.search(db.session, current_user(), query, tz=local_zone())

    @requires(*STAFF)
    @blp.arguments(VisitSchema)
    @blp.response(201, VisitSchema)
    def post(self, data: dict[str, Any]) -> Visit:
        """Create a visit"""
        data.pop("version", None)
        visit = visit_service.create_visit(db.session, data, actor_user_id=current_user().id)
        db.session.commit()
        return visit


@blp.route("/<int:visit_id>")
class VisitById(MethodView):
    @requires(*ANY_ROLE)
    @blp.response(200, VisitSchema)
    def get(self, visit_id: int) -> Visit:
        """Get a visit (another technician's visit answers 404)"""
        return access.visible_visit(db.session, current_user(), visit_id)

    @requires(*STAFF)
    @blp.arguments(patch_of(VisitSchema))
    @blp.response(200, VisitSchema)
    def patch(self, data: dict[str, Any], visit_id: int) -> Visit:
        """Update a visit: schedule fields, assignment, lock (send If-Match or `version`)

        A change to its placement must fit the technician's day: skills, a shift, the lunch
        break, the customer's window (it bounds the start) and no overlap with other work
        (422 for the placement itself, 409 for a clash; `details.refusals` lists them).
        Clearing `technician_id` or `planned_start` of a scheduled or dispatched visit
        unschedules it (status `new`, as the `new` transition does); its customer is told.
        """
        visit = visit_service.edit_visit(
            db.session,
            visit_id,
            data,
            expected_version=expected_version(data),
            actor_user_id=current_user().id,
        )
        db.session.commit()
        return visit

    @requires(*STAFF)
    @blp.response(204)
    @blp.alt_response(
        409,
        description="The visit is booked (`visit_booked`: its customer was told when) or "
        "under way or done (`visit_started`): cancel it instead",
    )
    def delete(self, visit_id: int) -> None:
        """Delete a visit entered by mistake: nobody started it, its customer was never told a time

        A booked visit (scheduled or dispatched with a time the customer was told) answers 409
        `visit_booked`, and one under way or done 409 `visit_started`: cancel it instead
        (`POST /api/v1/visits/{id}/transitions {"to": "cancelled"}`), which keeps its history
        and tells a booked visit's customer, once, that it is cancelled (`visit_cancelled`).
        """
        visit = get_or_404(db.session, Visit, visit_id)
        visit_service.check_deletable(visit)
        delete_record(db.session, visit)
        db.session.commit()


@blp.route("/<int:visit_id>/transitions")
class VisitTransitions(MethodView):
    @requires(*ANY_ROLE)
    @blp.arguments(TransitionSchema)
    @blp.response(200, VisitSchema)
    def post(self, data: dict[str, Any], visit_id: int) -> Visit:
        """Move a visit along the status state machine (illegal moves answer 409)"""
        user = current_user()
        visit = access.visible_visit(db.session, user, visit_id)
        if user.role == Role.TECHNICIAN:
            visit_service.check_technician_transition(data["to"])
        if data["to"] == VisitStatus.COMPLETED:
            complete_visit(db.session, visit, actor_user_id=user.id)
        else:
            visit_service.change_status(db.session, visit, data["to"], actor_user_id=user.id)
        db.session.commit()
        return visit


@blp.route("/<int:visit_id>/history")
class VisitHistory(MethodView):
    @requires(*ANY_ROLE)
    @blp.response(200, StatusChangeSchema(many=True))
    def get(self, visit_id: int) -> list[Any]:
        """The visit's status changes, oldest first, with who made them"""
        return access.visible_visit(db.session, current_user(), visit_id).status_changes

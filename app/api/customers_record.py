"""`GET /api/v1/customers/{id}/record`: the customer's whole story in one answer."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.complaints import ComplaintSchema
from app.api.customers import CustomerSchema, OrderSchema, SiteSchema
from app.api.fields import Strict, aware_datetime
from app.api.photos import photo_dump
from app.api.security import STAFF, requires
from app.database import db
from app.services.customer_record import CustomerRecord, SignatureView, build_record

blp = Blueprint(
    "customer_record",
    __name__,
    url_prefix="/api/v1/customers",
    description="The customer's record",
)


class StatusStepSchema(Strict):
    from_status = ma.fields.Function(lambda s: s.change.from_status)
    to_status = ma.fields.Function(lambda s: s.change.to_status)
    at = ma.fields.Function(lambda s: s.change.at.isoformat())
    actor_user_id = ma.fields.Function(lambda s: s.change.actor_user_id)
    actor_name = ma.fields.String(allow_none=True)
    source = ma.fields.Function(lambda s: s.change.source)
    device_time = ma.fields.Function(
        lambda s: s.change.device_time.isoformat() if s.change.device_time else None
    )


class NoteSchema(Strict):
    id = ma.fields.String()
    body = ma.fields.String()
    author_user_id = ma.fields.Integer(allow_none=True)
    created_at = aware_datetime()
    device_time = aware_datetime(allow_none=True)


class AnswerSchema(Strict):
    item_key = ma.fields.String()
    value = ma.fields.Raw(allow_none=True)
    answered_by_user_id = ma.fields.Integer(allow_none=True)
    updated_at = aware_datetime()


class RecordPhotoSchema(Strict):
    id = ma.fields.String()
    kind = ma.fields.String()
    caption = ma.fields.String(allow_none=True)
    checklist_item_key = ma.fields.String(allow_none=True)
    sha256 = ma.fields.String()
    status = ma.fields.String(metadata={"description": "pending, stored or ready"})
    taken_at = aware_datetime(allow_none=True)
    gps_lat = ma.fields.Float(allow_none=True)
    gps_lon = ma.fields.Float(allow_none=True)
    url = ma.fields.String()
    thumbnail_url = ma.fields.String()


def _signature(view: SignatureView) -> dict[str, Any]:
    return {
        "id": view.signature.id,
        "signer_name": view.signature.signer_name,
        "sha256": view.signature.sha256,
        "status": "pending" if view.signature.sha256 and view.blob is None else "stored",
        "created_at": view.signature.created_at.isoformat(),
    }


class RatingSchema(Strict):
    id = ma.fields.Integer()
    visit_id = ma.fields.Integer()
    csat = ma.fields.Integer()
    nps = ma.fields.Integer(allow_none=True)
    comment = ma.fields.String(allow_none=True)
    language = ma.fields.String()
    edits = ma.fields.Integer()
    negative = ma.fields.Boolean(attribute="is_negative")
    created_at = aware_datetime()
    updated_at = aware_datetime()


class RepairOutcomeSchema(Strict):
    fixed = ma.fields.Boolean()
    first_time_fix = ma.fields.Boolean()
    is_follow_up = ma.fields.Boolean()


class TimelineEntrySchema(Strict):
    visit_id = ma.fields.Function(lambda e: e.visit.id)
    kind = ma.fields.Function(lambda e: str(e.visit.kind))
    status = ma.fields.Function(lambda e: str(e.visit.status))
    when = aware_datetime()
    order_id = ma.fields.Function(lambda e: e.visit.order_id)
    site_id = ma.fields.Function(lambda e: e.visit.site_id)
    technician_id = ma.fields.Function(lambda e: e.visit.technician_id)
    technician_name = ma.fields.String(allow_none=True)
    description = ma.fields.Function(lambda e: e.visit.description)
    follow_up_of = ma.fields.Integer(allow_none=True)
    status_changes = ma.fields.List(ma.fields.Nested(StatusStepSchema))
    notes = ma.fields.List(ma.fields.Nested(NoteSchema))
    answers = ma.fields.List(ma.fields.Nested(AnswerSchema))
    photos = ma.fields.Function(lambda e: [photo_dump(p) for p in e.photos])
    signatures = ma.fields.Function(lambda e: [_signature(s) for s in e.signatures])
    rating = ma.fields.Nested(RatingSchema, allow_none=True)
    repair_outcome = ma.fields.Nested(RepairOutcomeSchema, allow_none=True)


class ComplaintSummarySchema(ComplaintSchema):
    class Meta(Strict.Meta):
        exclude = ("history",)


class FiguresSchema(Strict):
    visits = ma.fields.Integer()
    completed_visits = ma.fields.Integer()
    ratings = ma.fields.Integer()
    average_csat = ma.fields.Float(allow_none=True)
    last_nps = ma.fields.Integer(allow_none=True)
    first_time_fix_rate = ma.fields.Float(allow_none=True)
    open_complaints = ma.fields.Integer()


class CustomerRecordSchema(Strict):
    customer = ma.fields.Nested(CustomerSchema)
    tags = ma.fields.List(ma.fields.String())
    sites = ma.fields.List(ma.fields.Nested(SiteSchema))
    orders = ma.fields.List(ma.fields.Nested(OrderSchema))
    timeline = ma.fields.List(ma.fields.Nested(TimelineEntrySchema))
    ratings = ma.fields.List(ma.fields.Nested(RatingSchema))
    complaints = ma.fields.List(ma.fields.Nested(ComplaintSummarySchema))
    figures = ma.fields.Nested(FiguresSchema)
    generated_at = aware_datetime()


@blp.route("/<int:customer_id>/record")
class CustomerRecordView(MethodView):
    @requires(*STAFF)
    @blp.response(200, CustomerRecordSchema)
    def get(self, customer_id: int) -> CustomerRecord:
        """The customer's record: profile, orders, visit timeline, ratings, complaints, figures"""
        return build_record(db.session, customer_id)

"""Checklist templates: what each kind of visit must record."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate
from sqlalchemy import select

from app.api.concurrency import check_update
from app.api.fields import JsonBoolean, RecordSchema, Strict, patch_of
from app.api.pagination import SelectPage
from app.api.security import ANY_ROLE, STAFF, requires
from app.database import db
from app.models import ChecklistTemplate, VisitKind
from app.services.records import apply_changes, get_or_404

blp = Blueprint("checklists", __name__, url_prefix="/api/v1/checklist-templates")

ITEM_TYPES = ("text", "number", "boolean", "choice", "photo", "signature")


class ChecklistItemSchema(Strict):
    key = ma.fields.String(
        required=True, validate=[validate.Length(1, 80), validate.Regexp(r"^[a-z0-9_]+$")]
    )
    label = ma.fields.String(required=True, validate=validate.Length(1, 200))
    type = ma.fields.String(required=True, validate=validate.OneOf(ITEM_TYPES))
    required = JsonBoolean(load_default=True)
    choices = ma.fields.List(ma.fields.String(), load_default=None, allow_none=True)
    min_photos = ma.fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(1, 20)
    )
    photo_kind = ma.fields.String(load_default=None, allow_none=True)


class ChecklistTemplateSchema(RecordSchema):
    kind = ma.fields.Enum(VisitKind, by_value=True, required=True)
    name = ma.fields.String(required=True, validate=validate.Length(1, 120))
    items = ma.fields.List(ma.fields.Nested(ChecklistItemSchema), required=True)
    active = JsonBoolean(load_default=True)

    @ma.validates("items")
    def _unique_keys(self, items: list[dict[str, Any]], **_: Any) -> None:
        # Runs even when an item failed its own checks, so a key may be missing here.
        keys = [item["key"] for item in items if "key" in item]
        if len(keys) != len(set(keys)):
            raise ma.ValidationError("item keys must be unique")


def _plain_items(data: dict[str, Any]) -> None:
    # Stored as JSON: drop unset optional keys so templates read cleanly.
    if "items" in data:
        data["items"] = [{k: v for k, v in item.items() if v is not None} for item in data["items"]]


@blp.route("", strict_slashes=False)
class Templates(MethodView):
    @requires(*ANY_ROLE)
    @blp.response(200, ChecklistTemplateSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self) -> Any:
        """List checklist templates"""
        return select(ChecklistTemplate).order_by(ChecklistTemplate.id)

    @requires(*STAFF)
    @blp.arguments(ChecklistTemplateSchema)
    @blp.response(201, ChecklistTemplateSchema)
    def post(self, data: dict[str, Any]) -> ChecklistTemplate:
        """Create a checklist template for a visit kind"""
        data.pop("version", None)
        _plain_items(data)
        template = ChecklistTemplate(**data)
        db.session.add(template)
        db.session.commit()
        return template


@blp.route("/<int:template_id>")
class TemplateById(MethodView):
    @requires(*ANY_ROLE)
    @blp.response(200, ChecklistTemplateSchema)
    def get(self, template_id: int) -> ChecklistTemplate:
        """Get a checklist template"""
        return get_or_404(db.session, ChecklistTemplate, template_id)

    @requires(*STAFF)
    @blp.arguments(patch_of(ChecklistTemplateSchema))
    @blp.response(200, ChecklistTemplateSchema)
    def patch(self, data: dict[str, Any], template_id: int) -> ChecklistTemplate:
        """Update a checklist template (send If-Match or `version`)"""
        template = get_or_404(db.session, ChecklistTemplate, template_id)
        check_update(template, data)
        _plain_items(data)
        apply_changes(template, data)
        db.session.commit()
        return template

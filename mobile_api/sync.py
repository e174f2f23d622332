"""Pull changes by cursor and push mutations, for a registered phone with its bound token."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from app.api.fields import Strict, aware_datetime
from app.api.security import current_token, requires
from app.api.settings import settings
from app.database import db
from app.models import Role
from sync import feed, mutations
from sync.devices import bound_device
from sync.protocol import (
    DEFAULT_PULL_LIMIT,
    MAX_PULL_LIMIT,
    MAX_PUSH_BATCH,
    check_versions,
)

blp = Blueprint("mobile_sync", __name__, url_prefix="/mobile/v1/sync", description="Mobile: sync")


class VersionedRequest(Strict):
    device_id = ma.fields.String(required=True, validate=validate.Length(1, 64))
    protocol_version = ma.fields.Integer(required=True)
    schema_version = ma.fields.Integer(required=True)


class PullRequestSchema(VersionedRequest):
    cursor = ma.fields.String(
        allow_none=True, load_default=None, metadata={"description": "Null for a first sync"}
    )
    limit = ma.fields.Integer(
        load_default=DEFAULT_PULL_LIMIT, validate=validate.Range(1, MAX_PULL_LIMIT)
    )


class RecordSchema(Strict):
    entity = ma.fields.String()
    id = ma.fields.Raw(
        metadata={"description": "Integer, or the device UUID of an append-only record"}
    )
    version = ma.fields.Integer(allow_none=True)
    data = ma.fields.Dict()


class RecordRefSchema(Strict):
    entity = ma.fields.String()
    id = ma.fields.Raw()


class PullResponseSchema(Strict):
    upserts = ma.fields.List(ma.fields.Nested(RecordSchema))
    deletes = ma.fields.List(ma.fields.Nested(RecordRefSchema))
    removes = ma.fields.List(ma.fields.Nested(RecordRefSchema))
    cursor = ma.fields.String()
    has_more = ma.fields.Boolean()
    last_acked_mutation_id = ma.fields.Integer()


class MutationSchema(Strict):
    id = ma.fields.Integer(required=True, validate=validate.Range(min=1))
    name = ma.fields.String(required=True, validate=validate.Length(1, 60))
    args = ma.fields.Dict(required=True)
    base_version = ma.fields.Integer(allow_none=True, load_default=None)
    device_time = aware_datetime(allow_none=True, load_default=None)


class PushRequestSchema(VersionedRequest):
    mutations = ma.fields.List(
        ma.fields.Nested(MutationSchema),
        required=True,
        validate=validate.Length(0, MAX_PUSH_BATCH),
    )


class MutationResultSchema(Strict):
    id = ma.fields.Integer()
    name = ma.fields.String()
    outcome = ma.fields.String(metadata={"description": "applied | rejected | accepted_for_review"})
    code = ma.fields.String(allow_none=True)
    message = ma.fields.String(allow_none=True)
    details = ma.fields.Dict()


class PushResponseSchema(Strict):
    results = ma.fields.List(ma.fields.Nested(MutationResultSchema))
    last_acked_mutation_id = ma.fields.Integer()


@blp.route("/pull")
class Pull(MethodView):
    @requires(Role.TECHNICIAN)
    @blp.arguments(PullRequestSchema)
    @blp.response(200, PullResponseSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Pull upserts, deletes and removes after a cursor (null cursor: first sync)"""
        check_versions(data["protocol_version"], data["schema_version"])
        token = current_token()
        db.session.commit()  # end the sign-in reads; the pull is one snapshot of its own
        feed.begin_read_snapshot(db.session)
        device = bound_device(db.session, token, data["device_id"])
        page = feed.pull(
            db.session, device, data["cursor"], limit=data["limit"], settings=settings()
        )
        db.session.commit()
        feed.touch_device(db.session, device)
        db.session.commit()
        return page


@blp.route("/push")
class Push(MethodView):
    @requires(Role.TECHNICIAN)
    @blp.arguments(PushRequestSchema)
    @blp.response(200, PushResponseSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Push an ordered batch of mutations; retries answer the stored results"""
        check_versions(data["protocol_version"], data["schema_version"])
        token = current_token()
        device = bound_device(db.session, token, data["device_id"], lock=True)
        batch = [mutations.Mutation(**m) for m in data["mutations"]]
        result = mutations.push(db.session, device, token.user_id, batch)
        feed.touch_device(db.session, device)
        db.session.commit()
        return result

"""Registering a technician's phone: answers a token bound to that device."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from app.api.fields import Strict, aware_datetime
from app.api.security import ANY_ROLE, current_user, requires
from app.api.settings import settings
from app.database import db
from app.models import Role
from sync.devices import devices_of, register_device, retire_device

blp = Blueprint(
    "mobile_devices", __name__, url_prefix="/mobile/v1/devices", description="Mobile: devices"
)

DEVICE_ID = validate.Regexp(r"^[A-Za-z0-9._:-]{8,64}$", error="8-64 letters, digits or ._:-")


class DeviceRegistrationSchema(Strict):
    device_id = ma.fields.String(required=True, validate=DEVICE_ID)
    name = ma.fields.String(allow_none=True, validate=validate.Length(max=120))
    platform = ma.fields.String(allow_none=True, validate=validate.Length(max=40))


class DeviceTokenSchema(Strict):
    device_id = ma.fields.String()
    access_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_at = aware_datetime()
    technician_id = ma.fields.Integer()
    last_acked_mutation_id = ma.fields.Integer(
        metadata={"description": "Number new mutations from this id + 1"}
    )


class DeviceSchema(Strict):
    device_id = ma.fields.String()
    name = ma.fields.String(allow_none=True)
    platform = ma.fields.String(allow_none=True)
    registered_at = aware_datetime()
    last_seen = aware_datetime(allow_none=True)
    active = ma.fields.Boolean(
        metadata={"description": "A live token is bound to it (false once retired or expired)"}
    )


@blp.route("", strict_slashes=False)
class Devices(MethodView):
    @requires(Role.TECHNICIAN)
    @blp.response(200, DeviceSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The signed-in technician's own phones (to retire a lost one from another phone)"""
        return [
            {
                "device_id": state.device.device_id,
                "name": state.device.name,
                "platform": state.device.platform,
                "registered_at": state.device.registered_at,
                "last_seen": state.device.last_seen,
                "active": state.active,
            }
            for state in devices_of(db.session, current_user())
        ]

    @requires(Role.TECHNICIAN)
    @blp.arguments(DeviceRegistrationSchema)
    @blp.response(201, DeviceTokenSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Register this phone and get a token bound to it (sign in with a normal token first)"""
        registration = register_device(
            db.session,
            current_user(),
            device_id=data["device_id"],
            name=data.get("name"),
            platform=data.get("platform"),
            ttl_s=settings().device_token_ttl_s,
        )
        db.session.commit()
        device = registration.device
        return {
            "device_id": device.device_id,
            "access_token": registration.access_token,
            "token_type": "Bearer",
            "expires_at": registration.token.expires_at,
            "technician_id": device.technician_id,
            "last_acked_mutation_id": device.last_acked_mutation_id,
        }


@blp.route("/<string:device_id>")
class DeviceById(MethodView):
    @requires(*ANY_ROLE)
    @blp.response(204)
    def delete(self, device_id: str) -> None:
        """Retire a phone (lost or replaced): every token bound to it stops working"""
        retire_device(db.session, current_user(), device_id)
        db.session.commit()

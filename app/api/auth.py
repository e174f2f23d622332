"""Sign-in: bearer tokens that expire and can be revoked."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from app.api.fields import Strict, aware_datetime
from app.api.security import ANY_ROLE, current_token, public, requires
from app.api.settings import settings
from app.database import db
from app.services import accounts

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth")


class CredentialsSchema(Strict):
    email = ma.fields.String(required=True, validate=validate.Length(1, 254))
    password = ma.fields.String(required=True, validate=validate.Length(1, 200))


class TokenSchema(Strict):
    access_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_at = aware_datetime()
    role = ma.fields.String()
    user_id = ma.fields.Integer()


@blp.route("/token")
class Token(MethodView):
    @public
    @blp.arguments(CredentialsSchema)
    @blp.response(201, TokenSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Exchange email and password for a bearer token"""
        user = accounts.authenticate(db.session, data["email"], data["password"])
        raw, token = accounts.issue_token(db.session, user, ttl_s=settings().access_token_ttl_s)
        db.session.commit()
        return {
            "access_token": raw,
            "token_type": "Bearer",
            "expires_at": token.expires_at,
            "role": user.role.value,
            "user_id": user.id,
        }

    @requires(*ANY_ROLE)
    @blp.response(204)
    def delete(self) -> None:
        """Revoke the token used for this request (sign out)"""
        accounts.revoke_token(db.session, current_token())
        db.session.commit()

"""Sign-in: bearer tokens that expire and can be revoked."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from app.api.fields import Strict, aware_datetime
from app.api.security import ANY_ROLE, current_token, public, requires
from app.api.settings import settings
from app.database import db
from app.errors import AppError, NotAuthenticated
from app.extensions import limiter
from app.models import User
from app.services import accounts, rate_limit

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth")


class TooManyAttempts(AppError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            f"too many failed sign-ins; try again in {retry_after_s} seconds",
            details={"retry_after_s": retry_after_s},
        )
        self.retry_after_s = retry_after_s


def throttled_authenticate(email: str, password: str) -> User:
    """`accounts.authenticate` behind the login throttle (TooManyAttempts when refused)."""
    current = settings()
    limits = rate_limit.LoginLimits(current.login_limit_per_account, current.login_limit_per_client)
    client = request.remote_addr or "unknown"
    verdict = rate_limit.check_login(limiter.limiter, limits, email, client)
    if not verdict.allowed:
        raise TooManyAttempts(verdict.retry_after_s)
    try:
        return accounts.authenticate(db.session, email, password)
    except NotAuthenticated:
        rate_limit.failed_login(limiter.limiter, limits, email, client)
        raise


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
    @blp.alt_response(429, description="Too many failed sign-ins; wait Retry-After seconds")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Exchange email and password for a bearer token

        Failed attempts are limited per account and per client address: beyond them the
        answer is 429 with Retry-After, whatever the password.
        """
        user = throttled_authenticate(data["email"], data["password"])
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

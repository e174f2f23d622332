"""Bearer-token authentication and the roles each endpoint admits."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from app.database import db
from app.errors import Forbidden, NotAuthenticated
from app.i18n.web import remember_user_language
from app.models import AuthToken, Role, User
from app.services.accounts import resolve_token

F = TypeVar("F", bound=Callable[..., Any])

ANY_ROLE = tuple(Role)
STAFF = (Role.ADMIN, Role.DISPATCHER)
BEARER_SECURITY = [{"bearerAuth": []}]


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise NotAuthenticated("an `Authorization: Bearer <token>` header is required")
    return raw.strip()


def requires(*roles: Role) -> Callable[[F], F]:
    """Admit only authenticated users holding one of `roles`; documents it in OpenAPI."""
    if not roles:
        raise ValueError("an endpoint must admit at least one role")

    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = resolve_token(db.session, bearer_token())
            # Known before the role check: a refusal is worded in the user's language.
            g.token = token
            g.user = token.user
            g.user_id = token.user.id
            remember_user_language(token.user)
            if token.user.role not in roles:
                raise Forbidden(
                    "this action needs the role %(roles)s",
                    params={"roles": " or ".join(r.value for r in roles)},
                )
            return func(*args, **kwargs)

        wrapper._roles = frozenset(roles)  # type: ignore[attr-defined]
        apidoc = wrapper.__dict__.setdefault("_apidoc", {})
        manual = apidoc.setdefault("manual_doc", {})
        manual["security"] = BEARER_SECURITY
        role_names = ", ".join(r.value for r in roles)
        # the docstring's first line, what follows it (the rules a caller must know), the roles
        doc = inspect.cleandoc(func.__doc__ or "")
        parts = [part.strip() for part in doc.split("\n", 1)]
        manual.setdefault(
            "description", "\n\n".join([*filter(None, parts), f"Roles: {role_names}."])
        )
        return wrapper  # type: ignore[return-value]

    return decorator


def public(func: F) -> F:
    """Mark an endpoint as open to anonymous callers (login, rating links)."""
    func._roles = frozenset()  # type: ignore[attr-defined]
    return func


def current_user() -> User:
    return g.user


def current_token() -> AuthToken:
    return g.token

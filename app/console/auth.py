"""Console sign-in: a signed session cookie, the roles each page admits, and CSRF tokens."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for

from app.database import db
from app.errors import AppError, Forbidden, NotAuthenticated
from app.i18n.web import remember_user_language
from app.models import Role, User

F = TypeVar("F", bound=Callable[..., Any])

STAFF = (Role.ADMIN, Role.DISPATCHER)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class CsrfRefused(AppError):
    status = 400
    code = "csrf_failed"


def sign_in(user: User) -> None:
    """Start a console session for `user` (a fresh session: no fixation)."""
    session.clear()
    session["user_id"] = user.id
    # The cookie names the user's session epoch; raising it (sign-out, new password,
    # deactivation) ends every copy of this cookie, server-side.
    session["epoch"] = user.session_epoch or 0
    session["csrf"] = secrets.token_urlsafe(24)
    session.permanent = False


def sign_out() -> None:
    """End this console session and every copy of its cookie."""
    user = signed_in_user()
    if user is not None:
        user.session_epoch = (user.session_epoch or 0) + 1
        db.session.flush()
    session.clear()


def signed_in_user() -> User | None:
    """The active user of this session, if any."""
    user_id = session.get("user_id")
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or (user.session_epoch or 0) != session.get("epoch"):
        session.clear()
        return None
    return user


def csrf_token() -> str:
    """This session's CSRF token (created on first use, e.g. for the login form)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def check_csrf() -> None:
    """Refuse a state-changing request without this session's token (form field or header)."""
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
    expected = session.get("csrf") or ""
    # Compared as bytes: compare_digest refuses non-ASCII text with a TypeError.
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRefused("the form has expired or did not come from this console; reload the page")


def wants_json() -> bool:
    """Whether the caller is a script (fetch) rather than a page."""
    if request.is_json or request.headers.get("X-Requested-With") == "fetch":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def page(*roles: Role) -> Callable[[F], F]:
    """Admit signed-in users holding one of `roles`; check CSRF on every state change."""
    if not roles:
        raise ValueError("a console page must admit at least one role")

    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = signed_in_user()
            if user is None:
                if wants_json():
                    raise NotAuthenticated("sign in to the console first")
                return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
            remember_user_language(user)
            if user.role not in roles:
                raise Forbidden("the console is for dispatchers and admins")
            if request.method not in SAFE_METHODS:
                check_csrf()
            g.user, g.user_id = user, user.id
            return func(*args, **kwargs)

        wrapper._roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def anonymous(func: F) -> F:
    """Mark a console endpoint as open to anyone (sign-in page, static files)."""
    func._roles = frozenset()  # type: ignore[attr-defined]
    return func


def current_user() -> User:
    return g.user

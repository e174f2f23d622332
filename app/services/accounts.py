"""Users, password hashing and bearer tokens."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, joinedload

from app.config import active_settings
from app.database import utcnow
from app.errors import Conflict, NotAuthenticated, ValidationFailed
from app.models import AuthToken, Role, User

_SCRYPT_R, _SCRYPT_P = 8, 1


def hash_password(password: str) -> str:
    """A salted scrypt hash of `password`, self-describing so parameters can change later.

    The cost N is `PASSWORD_SCRYPT_N` (2^17 by default).
    """
    n = active_settings().password_scrypt_n
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, n, _SCRYPT_R, _SCRYPT_P)
    return f"scrypt${n}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # scrypt needs 128·r·N bytes; hashlib's default ceiling (32 MiB) is below 2^17 with r=8.
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, dklen=32, maxmem=130 * r * n + 2**20
    )


def verify_password(stored: str, password: str) -> bool:
    """Whether `password` matches the stored hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    return hmac.compare_digest(digest.hex(), expected)


def needs_rehash(stored: str) -> bool:
    """Whether a hash was made with other parameters than new hashes get now."""
    parts = stored.split("$")
    wanted = ["scrypt", str(active_settings().password_scrypt_n), str(_SCRYPT_R), str(_SCRYPT_P)]
    return parts[:4] != wanted


def create_user(session: Session, *, email: str, name: str, password: str, role: Role) -> User:
    """Create a user; a taken email is a conflict."""
    email = email.strip().lower()
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(
            "a user with email %(email)s already exists",
            params={"email": email},
            code="email_taken",
        )
    user = User(email=email, name=name, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User:
    """The active user with these credentials, else NotAuthenticated (same error either way)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    # An unknown email costs one hash too, so timing does not tell which emails exist.
    stored = user.password_hash if user is not None else _dummy_hash()
    matches = verify_password(stored, password)
    if user is None or not user.active or not matches:
        raise NotAuthenticated("wrong email or password", code="invalid_credentials")
    if needs_rehash(user.password_hash):
        # The password is at hand only now: bring an older hash up to today's cost. The
        # same password, so no session is ended.
        user.password_hash = hash_password(password)
        session.flush()
    return user


def _dummy_hash() -> str:
    return _dummy_hash_at(active_settings().password_scrypt_n)


@functools.cache
def _dummy_hash_at(_n: int) -> str:
    return hash_password(secrets.token_urlsafe(16))


def set_password(session: Session, user: User, password: str) -> None:
    """Change a user's password and end every session the old one opened."""
    user.password_hash = hash_password(password)
    end_all_sessions(session, user)


def end_all_sessions(session: Session, user: User) -> None:
    """Revoke the user's bearer and device tokens and invalidate every console cookie."""
    revoke_all_tokens(session, user)
    user.session_epoch = (user.session_epoch or 0) + 1
    session.flush()


def change_own_password(session: Session, user: User, current: str, new: str) -> None:
    """Change the signed-in user's password after checking the current one."""
    if not verify_password(user.password_hash, current):
        raise ValidationFailed(
            "the current password is wrong",
            fields={"current_password": ["wrong password"]},
        )
    set_password(session, user, new)


def change_user(session: Session, user: User, changes: dict[str, Any]) -> User:
    """Apply an admin's changes to an account; never leaves the service without an admin."""
    changes = dict(changes)
    demoted = "role" in changes and changes["role"] != Role.ADMIN
    deactivated = changes.get("active") is False
    if user.role == Role.ADMIN and user.active and (demoted or deactivated):
        other_admins = session.scalar(
            select(func.count(User.id)).where(
                User.role == Role.ADMIN, User.active.is_(True), User.id != user.id
            )
        )
        if not other_admins:
            raise Conflict(
                "this is the last active admin; make another admin first", code="last_admin"
            )
    password = changes.pop("password", None)
    was_active = user.active
    for name, value in changes.items():
        setattr(user, name, value)
    if password is not None:
        set_password(session, user, password)
    elif was_active and not user.active:
        end_all_sessions(session, user)
    session.flush()
    return user


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(
    session: Session, user: User, *, ttl_s: int, device_id: str | None = None
) -> tuple[str, AuthToken]:
    """A new bearer token for `user`; the raw value is returned once and never stored."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    token = AuthToken(
        token_hash=token_digest(raw),
        user=user,
        device_id=device_id,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=ttl_s),
    )
    session.add(token)
    session.flush()
    return raw, token


def resolve_token(session: Session, raw: str, *, now: dt.datetime | None = None) -> AuthToken:
    """The live token behind `raw`, or NotAuthenticated when unknown, expired or revoked."""
    # with its user: every authenticated request reads both
    token = session.scalar(
        select(AuthToken)
        .options(joinedload(AuthToken.user))
        .where(AuthToken.token_hash == token_digest(raw))
    )
    if token is None or not token.is_valid(now or utcnow()) or not token.user.active:
        raise NotAuthenticated("the bearer token is invalid, expired or revoked")
    return token


def revoke_token(session: Session, token: AuthToken) -> None:
    """Revoke a token at once."""
    token.revoked_at = utcnow()
    session.flush()


def revoke_all_tokens(session: Session, user: User) -> int:
    """Revoke every live token of a user (e.g. when the account is deactivated)."""
    now = utcnow()
    tokens = session.scalars(
        select(AuthToken).where(AuthToken.user_id == user.id, AuthToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = now
    session.flush()
    return len(tokens)


def purge_dead_tokens(session: Session, *, now: dt.datetime | None = None) -> int:
    """Delete tokens that expired or were revoked more than a day ago."""
    cutoff = (now or utcnow()) - dt.timedelta(days=1)
    result = session.execute(
        delete(AuthToken).where(or_(AuthToken.expires_at < cutoff, AuthToken.revoked_at < cutoff))
    )
    return result.rowcount or 0

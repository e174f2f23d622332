"""Phones: registration, device-bound tokens, and the binding check on every sync call."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.database import utcnow
from app.errors import Conflict, Forbidden, NotFound
from app.models import AuthToken, Device, Role, Technician, User
from app.services.accounts import issue_token


@dataclass(frozen=True)
class DeviceState:
    """A registered phone and whether a live token is bound to it."""

    device: Device
    active: bool


@dataclass
class Registration:
    device: Device
    access_token: str
    token: AuthToken


def technician_of(session: Session, user: User) -> Technician:
    """The technician record behind a user, or Forbidden."""
    technician = session.scalar(select(Technician).where(Technician.user_id == user.id))
    if technician is None:
        raise Forbidden("only technicians with a technician record can sync a device")
    return technician


def register_device(
    session: Session,
    user: User,
    *,
    device_id: str,
    name: str | None,
    platform: str | None,
    ttl_s: int,
) -> Registration:
    """Register (or re-register) the technician's phone and issue a token bound to it."""
    technician = technician_of(session, user)
    device = session.scalar(select(Device).where(Device.device_id == device_id))
    if device is not None and device.technician_id != technician.id:
        raise Conflict("this device id is registered to another technician", code="device_id_taken")
    if device is None:
        device = Device(device_id=device_id, technician_id=technician.id, last_acked_mutation_id=0)
        session.add(device)
    device.name = name
    device.platform = platform
    session.flush()
    # One live token per phone: registering again retires the previous ones.
    revoke_device_tokens(session, device_id)
    raw, token = issue_token(session, user, ttl_s=ttl_s, device_id=device_id)
    return Registration(device=device, access_token=raw, token=token)


def revoke_device_tokens(session: Session, device_id: str) -> int:
    """Revoke every live token bound to the device (a lost phone, or a re-registration)."""
    now = utcnow()
    tokens = session.scalars(
        select(AuthToken).where(AuthToken.device_id == device_id, AuthToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = now
    session.flush()
    return len(tokens)


def devices_of(session: Session, user: User) -> list[DeviceState]:
    """The technician's own phones, newest first, each with whether it can still sync."""
    technician = technician_of(session, user)
    devices = session.scalars(
        select(Device)
        .where(Device.technician_id == technician.id)
        .order_by(Device.registered_at.desc(), Device.id.desc())
    ).all()
    now = utcnow()
    live = set(
        session.scalars(
            select(AuthToken.device_id).where(
                AuthToken.device_id.in_([d.device_id for d in devices]),
                AuthToken.revoked_at.is_(None),
                AuthToken.expires_at > now,
            )
        )
    )
    return [DeviceState(device, device.device_id in live) for device in devices]


def retire_device(session: Session, user: User, device_id: str) -> Device:
    """Cut a phone off: its tokens stop working; staff may retire any, a technician their own."""
    device = session.scalar(select(Device).where(Device.device_id == device_id))
    if device is None or (
        user.role == Role.TECHNICIAN and device.technician_id != technician_of(session, user).id
    ):
        raise NotFound("device %(id)s does not exist", params={"id": device_id})
    revoke_device_tokens(session, device_id)
    return device


def bound_device(
    session: Session, token: AuthToken, device_id: str, *, lock: bool = False
) -> Device:
    """The device a sync call names, if the bearer token is bound to it; else Forbidden."""
    if token.device_id is None:
        raise Forbidden(
            "sync needs a device-bound token; register the device first",
            code="device_token_required",
        )
    if token.device_id != device_id:
        raise Forbidden("the token is bound to another device", code="device_mismatch")
    stmt = select(Device).where(Device.device_id == device_id)
    if lock:
        stmt = stmt.with_for_update()
    device = session.scalar(stmt.execution_options(populate_existing=True))
    technician = session.scalar(select(Technician.id).where(Technician.user_id == token.user_id))
    if device is None or device.technician_id != technician:
        raise Forbidden("the token is bound to another device", code="device_mismatch")
    return device

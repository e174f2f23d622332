"""Protocol constants, version checks and the opaque, tamper-evident cursor."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from app.errors import AppError

PROTOCOL_VERSIONS = (1, 1)
SCHEMA_VERSIONS = (1, 1)
MAX_PULL_LIMIT = 1000
DEFAULT_PULL_LIMIT = 200
MAX_PUSH_BATCH = 500


class UnsupportedVersion(AppError):
    status = 400
    code = "unsupported_version"


class InvalidCursor(AppError):
    status = 400
    code = "invalid_cursor"


class ResetRequired(AppError):
    """The cursor is older than the feed's retention: the device must start a fresh snapshot."""

    status = 409
    code = "reset_required"


def check_versions(protocol_version: int, schema_version: int) -> None:
    """Refuse protocol or schema versions outside the supported ranges, naming the ranges."""
    for name, value, (low, high) in (
        ("protocol_version", protocol_version, PROTOCOL_VERSIONS),
        ("schema_version", schema_version, SCHEMA_VERSIONS),
    ):
        if not low <= value <= high:
            raise UnsupportedVersion(
                "%(name)s %(value)s is not supported; this server speaks %(low)s to %(high)s",
                params={"name": name, "value": value, "low": low, "high": high},
                fields={name: [f"supported: {low} to {high}"]},
                details={"field": name, "supported": {"min": low, "max": high}},
            )


@dataclass
class CursorState:
    """What the device has: scope units it holds, how far their changes were sent, what is left.

    `held` are scope keys whose records the device has and whose changes up to `seq` it got;
    `todo` are scope keys entering the scope whose snapshot is being paged (keyset order).
    """

    device_id: str
    technician_id: int
    seq: int = 0
    held: set[str] = field(default_factory=set)
    todo: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "d": self.device_id,
            "t": self.technician_id,
            "s": self.seq,
            "h": _pack_keys(self.held),
            "p": _pack_keys(self.todo),
        }


def _pack_keys(keys: Any) -> dict[str, list[int]]:
    # Keys are "<kind>:<id>" or "t"; ids per kind are stored sorted and delta-encoded.
    packed: dict[str, list[int]] = {}
    for key in keys:
        kind, _, raw = key.partition(":")
        packed.setdefault(kind, []).append(int(raw) if raw else 0)
    for kind, ids in packed.items():
        ids.sort()
        packed[kind] = [ids[0]] + [b - a for a, b in itertools.pairwise(ids)]
    return packed


def _unpack_keys(packed: dict[str, list[int]]) -> list[str]:
    keys: list[str] = []
    for kind, deltas in packed.items():
        total = 0
        for delta in deltas:
            total += delta
            keys.append(kind if kind == "t" else f"{kind}:{total}")
    return sorted(keys, key=scope_key_order)


def scope_key_order(key: str) -> tuple[str, int]:
    """Keyset order of scope keys: by kind, then numerically by id."""
    kind, _, raw = key.partition(":")
    return (kind, int(raw) if raw else 0)


def encode_cursor(state: CursorState, secret: str) -> str:
    """An opaque cursor: compressed state plus an HMAC, so a changed byte is detected."""
    body = zlib.compress(json.dumps(state.to_json(), separators=(",", ":")).encode(), 6)
    mac = hmac.new(_key(secret), body, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac + body).decode().rstrip("=")


def decode_cursor(token: str, secret: str, *, device_id: str, technician_id: int) -> CursorState:
    """The state inside a cursor issued to this device, or InvalidCursor."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        mac, body = raw[:16], raw[16:]
        valid = hmac.compare_digest(mac, hmac.new(_key(secret), body, hashlib.sha256).digest()[:16])
        data = json.loads(zlib.decompress(body)) if valid else None
    except (ValueError, zlib.error):
        data = None
    if data is None:
        raise InvalidCursor("the cursor is not one this server issued; start a fresh sync")
    if data["d"] != device_id or data["t"] != technician_id:
        raise InvalidCursor("the cursor was issued to another device")
    return CursorState(
        device_id=data["d"],
        technician_id=data["t"],
        seq=int(data["s"]),
        held=set(_unpack_keys(data["h"])),
        todo=_unpack_keys(data["p"]),
    )


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"sync-cursor:" + secret.encode()).digest()

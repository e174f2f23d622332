"""Optimistic concurrency for updates: the caller states the version its change is based on."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from app.errors import PreconditionRequired, ValidationFailed
from app.services.records import check_version


def expected_version(data: dict[str, Any]) -> int:
    """The base version from `If-Match` or the body's `version`; one of them is required."""
    body_version = data.pop("version", None)
    header = request.headers.get("If-Match")
    if header:
        try:
            header_version = int(header.removeprefix("W/").strip('"'))
        except ValueError as exc:
            raise ValidationFailed(
                'If-Match must be the ETag of the record, e.g. "3"',
                fields={"If-Match": ["not a version ETag"]},
            ) from exc
        if body_version is not None and body_version != header_version:
            raise ValidationFailed(
                "If-Match and the body's version disagree",
                fields={"version": ["differs from If-Match"]},
            )
        return header_version
    if body_version is None:
        raise PreconditionRequired(
            "state the version your change is based on: an If-Match header or a `version` field"
        )
    return int(body_version)


def check_update(record: Any, data: dict[str, Any]) -> None:
    """Refuse a stale update (409) before any field is changed."""
    check_version(record, expected_version(data))


def with_etag(response: Response, record: Any) -> Response:
    response.set_etag(str(record.version))
    return response

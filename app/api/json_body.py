"""Checks on a JSON request body before any parser reads it.

Python's JSON parser recurses per nesting level, and PostgreSQL refuses text holding lone
UTF-16 surrogates: both would surface as a 500 deep inside a request. Refused here instead.
"""

from __future__ import annotations

import json
import re
from typing import Any

from app.errors import AppError, ValidationFailed

MAX_DEPTH = 32
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def check_json_body(raw: bytes) -> None:
    """Refuse a body nested deeper than MAX_DEPTH (400) or carrying invalid Unicode (422)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            "the request body is not valid UTF-8", code="invalid_unicode"
        ) from exc
    if _depth(text) > MAX_DEPTH:
        raise AppError(
            "JSON may be nested at most %(depth)s levels deep",
            params={"depth": MAX_DEPTH},
            code="json_too_deep",
        )
    try:
        value = json.loads(text)
    except ValueError:
        return  # malformed JSON is answered by the parser in the one error format
    if _has_lone_surrogate(value):
        raise ValidationFailed(
            "text in the request holds invalid Unicode (a lone surrogate)",
            code="invalid_unicode",
        )


def _depth(text: str) -> int:
    # Strings may hold brackets; count them outside strings only.
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False

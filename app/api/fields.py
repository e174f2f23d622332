"""Marshmallow fields and base schemas shared by the API's resources."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
from marshmallow import validate

from app import dates

Latitude = lambda **kw: ma.fields.Float(validate=validate.Range(-90, 90), **kw)  # noqa: E731
Longitude = lambda **kw: ma.fields.Float(validate=validate.Range(-180, 180), **kw)  # noqa: E731


# The calendar's years, in the document too (one rule: app.dates).
YEARS_PATTERN = dates.YEARS_PATTERN
INT32 = validate.Range(-(2**31), 2**31 - 1)

# PostgreSQL text cannot hold the NUL character: refuse it by name at validation (and say so
# in the document) instead of letting the database refuse the statement.
NO_NUL = {"pattern": r"[\x00]"}


# For text the services trim: it must hold a character that is neither blank nor NUL.
NOT_BLANK = validate.Regexp(r"^\s*[^\s\x00][^\x00]*$", error="must hold more than blanks")


class NoNul(validate.Validator):
    """Text without the NUL character (U+0000)."""

    error = "must not contain the NUL character (U+0000)"

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ma.ValidationError(self.error)
        return value


def guard_field(field: ma.fields.Field) -> None:
    """Give a field the limits the database holds it to, enforced and documented alike.

    Text refuses NUL, documented as `not: {pattern: "[\\x00]"}` unless the field already has a
    pattern or a fixed set of values (which exclude NUL themselves). Integers fit 32 bits
    (apispec keeps the tightest of several ranges). Lists and mappings pass the guard on.
    """
    if isinstance(field, ma.fields.String):
        field.validators = [*field.validators, NoNul()]
        if "pattern" not in field.metadata and not any(
            isinstance(v, validate.Regexp | validate.OneOf) for v in field.validators
        ):
            field.metadata["not"] = NO_NUL
    elif isinstance(field, ma.fields.Integer):
        field.validators = [*field.validators, INT32]
    elif isinstance(field, ma.fields.List):
        guard_field(field.inner)
    elif isinstance(field, ma.fields.Dict):
        for part in (field.key_field, field.value_field):
            if part is not None:
                guard_field(part)


class BoundedDate(ma.fields.Date):
    """A calendar date within the years the service accepts (`app.dates`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [*self.validators, dates.InCalendar()]
        self.metadata.setdefault("pattern", YEARS_PATTERN)


class UTCDateTimeField(ma.fields.AwareDateTime):
    """Reads any offset, always writes UTC, so one instant has one spelling.

    The instant must fall within the years the service accepts (`app.dates`).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [*self.validators, dates.InCalendar()]
        self.metadata.setdefault("pattern", YEARS_PATTERN)

    def _serialize(self, value: dt.datetime | None, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if value is not None:
            value = value.astimezone(dt.UTC)
        return super()._serialize(value, attr, obj, **kwargs)


def aware_datetime(**kwargs: Any) -> ma.fields.AwareDateTime:
    """An ISO 8601 datetime that must carry its UTC offset (answered in UTC)."""
    return UTCDateTimeField(format="iso", **kwargs)


class JsonBoolean(ma.fields.Boolean):
    """A JSON `true` or `false`, nothing else: `0`, `1` and `"yes"` are not booleans."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Strict(ma.Schema):
    """Unknown fields are refused, not silently dropped; integers and text fit the database's."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    def on_bind_field(self, field_name: str, field_obj: ma.fields.Field) -> None:
        # An id or count beyond a 32-bit integer can name nothing, and text with NUL cannot be
        # stored: refuse both by name (and say so in the document) instead of letting the
        # database fail.
        guard_field(field_obj)


class RecordSchema(Strict):
    """Fields every versioned record shows."""

    id = ma.fields.Integer(dump_only=True)
    version = ma.fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "Version the update is based on (or send If-Match)"},
    )
    created_at = aware_datetime(dump_only=True)
    updated_at = aware_datetime(dump_only=True)


class SkillLevelSchema(Strict):
    code = ma.fields.String(required=True, validate=validate.Length(1, 40))
    level = ma.fields.Integer(load_default=1, validate=validate.Range(1, 5))


class ListQuery(Strict):
    q = ma.fields.String(validate=validate.Length(1, 100), metadata={"description": "Text search"})


def patch_of(schema_cls: type[ma.Schema]) -> ma.Schema:
    """The schema for a PATCH: every top-level field optional, nested records still whole.

    `partial=True` would also make the fields of nested items optional (a skill without its
    code); naming the top-level fields keeps nested items checked in full.
    """
    return schema_cls(partial=tuple(schema_cls().load_fields))


PRIORITY_DESCRIPTION = (
    "1 to 5; 5 is the most important. The planner keeps higher priorities first when a day is "
    "full and weighs their lateness more; SLA policies match on the same scale."
)


def priority(**options: object) -> ma.fields.Integer:
    """A priority field: 1..5, 5 the most important (one meaning everywhere)."""
    return ma.fields.Integer(
        validate=validate.Range(1, 5), metadata={"description": PRIORITY_DESCRIPTION}, **options
    )

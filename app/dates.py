"""The calendar the service accepts: one rule for every date and datetime a client gives.

Dates outside the years 1900-2200 are typing mistakes or probes; at the edges of Python's range
(year 1, year 9999) an offset or a day's arithmetic would overflow further in. API fields, the
console's forms, the phone intake and the sync mutations all ask `check` (or `InCalendar`, the
same rule for marshmallow), so each refuses such a date by name instead of failing later.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import marshmallow as ma

MIN_YEAR, MAX_YEAR = 1900, 2200
MESSAGE = f"must be between the years {MIN_YEAR} and {MAX_YEAR}"
# The same years in the OpenAPI document (OpenAPI 3.0 has no date minimum).
YEARS_PATTERN = r"^(19\d\d|2[01]\d\d|2200)-"

When = TypeVar("When", dt.date, dt.datetime)


class OutsideCalendar(ValueError):
    """A date or datetime outside MIN_YEAR..MAX_YEAR (or one whose UTC instant overflows)."""

    def __init__(self) -> None:
        super().__init__(MESSAGE)


def check(value: When) -> When:
    """`value` itself; OutsideCalendar when it falls outside the years the service accepts.

    An aware datetime is judged by its UTC instant (year 9999 at -08:00 overflows there); a
    naive one and a date by their own year.
    """
    year = value.year
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        try:
            year = value.astimezone(dt.UTC).year
        except OverflowError as exc:
            raise OutsideCalendar() from exc
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise OutsideCalendar()
    return value


def parse_date(text: str) -> dt.date:
    """An ISO date within the calendar; ValueError (OutsideCalendar included) otherwise."""
    return check(dt.date.fromisoformat(text))


def parse_datetime(text: str) -> dt.datetime:
    """An ISO datetime within the calendar; ValueError (OutsideCalendar included) otherwise."""
    return check(dt.datetime.fromisoformat(text))


class InCalendar(ma.validate.Validator):
    """`check` for marshmallow fields: a 422 naming the field."""

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dt.date):
            try:
                check(value)
            except OutsideCalendar as exc:
                raise ma.ValidationError(MESSAGE) from exc
        return value

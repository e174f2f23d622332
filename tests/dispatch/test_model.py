"""Dataclass validation: bad input fails loudly at construction."""

from __future__ import annotations

from datetime import datetime

import pytest

from dispatch import Lock, Visit
from tests.dispatch.conftest import at, shift, tech, visit


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        visit("v", windows=[(datetime(2026, 11, 25, 9), datetime(2026, 11, 25, 10))])


def test_priority_outside_one_to_five_is_rejected():
    with pytest.raises(ValueError, match="priority"):
        visit("v", priority=6)


def test_locks_require_their_technician_and_time():
    with pytest.raises(ValueError, match="locked_technician_id"):
        visit("v", lock=Lock.TECHNICIAN)
    with pytest.raises(ValueError, match="locked_start"):
        visit("v", lock=Lock.TIME)


def test_unknown_visit_kind_is_rejected():
    with pytest.raises(ValueError, match="kind"):
        Visit("v", "paint", None, 30)


def test_two_overlapping_shifts_on_one_day_are_rejected():
    with pytest.raises(ValueError, match="overlapping shifts"):
        tech("a", shifts=[shift(), shift(start=12)])


def test_shift_must_end_after_it_starts():
    with pytest.raises(ValueError, match="ends before"):
        shift(start=12, end=9)
    assert at(9).utcoffset() is not None

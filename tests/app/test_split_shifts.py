"""A technician's split day (several shift intervals) gives the planner one shift per interval."""

from __future__ import annotations

import datetime as dt

from app.services.dispatching import shifts_of
from tests.factories import TechnicianFactory


def test_every_interval_of_a_split_day_becomes_a_shift(session):
    tech = TechnicianFactory(shift_pattern={"mon": [["17:00", "21:00"], ["08:00", "12:00"]]})
    monday = dt.date(2026, 11, 23)
    shifts = shifts_of(tech, [monday])
    assert [(s.start.hour, s.end.hour) for s in shifts] == [(8, 12), (17, 21)]
    assert all(s.day == monday for s in shifts)

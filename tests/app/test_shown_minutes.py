"""Driving minutes shown to people: whole minutes, rounded to the nearest, never "0 min" for a
drive that takes any time."""

import pytest

from app.services.travel import shown_minutes


@pytest.mark.parametrize(
    ("exact", "shown"), [(0.0, 0), (0.2, 1), (1.49, 1), (10.4, 10), (10.5, 11), (12.97, 13)]
)
def test_driving_minutes_are_shown_to_the_nearest_whole_minute(exact, shown):
    assert shown_minutes(exact) == shown

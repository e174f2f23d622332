"""Arrival windows as customers see them, and the windows they may pick for a visit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from app.config import Settings, customer_windows
from app.models import Visit

# A planned visit without a promised window is announced as a window of this length.
DEFAULT_WINDOW = dt.timedelta(hours=2)


@dataclass(frozen=True)
class Window:
    """An arrival window (aware datetimes)."""

    start: dt.datetime
    end: dt.datetime

    @property
    def key(self) -> str:
        """A stable form value naming the window."""
        return f"{self.start.astimezone(dt.UTC):%Y%m%dT%H%M}"


def arrival_window(visit: Visit) -> tuple[dt.datetime, dt.datetime] | None:
    """When the customer should expect the technician: the visit's window, else its start + 2 h."""
    return window_from(visit.planned_start, visit.window_start, visit.window_end)


def window_from(
    planned_start: dt.datetime | None,
    window_start: dt.datetime | None,
    window_end: dt.datetime | None,
) -> tuple[dt.datetime, dt.datetime] | None:
    """`arrival_window` of a visit with these times (e.g. the ones it had before a change)."""
    if (
        window_start
        and window_end
        and (planned_start is None or window_start <= planned_start < window_end)
    ):
        return window_start, window_end
    if planned_start is not None:
        return planned_start, planned_start + DEFAULT_WINDOW
    return None


def offered_windows(settings: Settings, now: dt.datetime) -> list[Window]:
    """The windows a customer may pick, from tomorrow (local time) for the configured days."""
    tz = ZoneInfo(settings.time_zone)
    today = now.astimezone(tz).date()
    offered = []
    for ahead in range(1, settings.customer_window_days + 1):
        day = today + dt.timedelta(days=ahead)
        for start, end in customer_windows(settings.customer_windows):
            offered.append(
                Window(
                    dt.datetime.combine(day, start, tzinfo=tz).astimezone(dt.UTC),
                    dt.datetime.combine(day, end, tzinfo=tz).astimezone(dt.UTC),
                )
            )
    return offered


def find_offered(settings: Settings, now: dt.datetime, key: str) -> Window | None:
    """The offered window a form value names, if it is still offered."""
    return next((w for w in offered_windows(settings, now) if w.key == key), None)

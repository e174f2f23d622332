"""The figures' headline: CSAT, NPS, first-time fix and SLA attainment, this week against last."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.services.metrics import ALL, METRICS, MetricInfo, Point, compute, weeks_between

HEADLINE = ("csat", "nps", "first_time_fix", "sla_attainment")


@dataclass(frozen=True)
class Tile:
    """One figure for the current ISO week and the one before, each with its sample size."""

    metric: MetricInfo
    this_week: Point | None
    last_week: Point | None

    @property
    def change(self) -> float | None:
        """This week minus last week (None unless both have a value)."""
        if self.this_week is None or self.last_week is None:
            return None
        if self.this_week.value is None or self.last_week.value is None:
            return None
        return round(self.this_week.value - self.last_week.value, 2)

    @property
    def better(self) -> bool | None:
        """Whether the change is an improvement (None when there is no change to judge)."""
        if not self.change:
            return None
        return (self.change > 0) == self.metric.higher_is_better


def headline(session: Session, today: dt.date, tz: ZoneInfo) -> list[Tile]:
    """The headline tiles for the ISO week of `today` against the week before."""
    monday = today - dt.timedelta(days=today.weekday())
    first, last = monday - dt.timedelta(weeks=1), monday + dt.timedelta(days=6)
    previous, current = weeks_between(first, last)
    tiles = []
    for name in HEADLINE:
        series = compute(session, name, by=ALL, first_day=first, last_day=last, tz=tz)
        points = series.values(ALL)
        tiles.append(Tile(METRICS[name], points.get(current), points.get(previous)))
    return tiles

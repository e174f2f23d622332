"""Server-rendered SVG line charts for the figures: geometry here, markup in the template."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from app.services.board.colours import NONE_COLOUR
from app.services.metrics import Point, Series

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28
MAX_LINES = 8


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Line:
    label: str
    colour: str
    points: str
    dots: list[Dot]
    # Observations behind the line over the period, and its latest week's point.
    n: int = 0
    latest: Point | None = None


@dataclass(frozen=True)
class Cell:
    value: float | None
    n: int


@dataclass(frozen=True)
class Table:
    """Every slice's value and sample size, week by week (the chart draws the busiest)."""

    weeks: list[str]
    rows: list[tuple[str, str, list[Cell | None]]]


@dataclass(frozen=True)
class Chart:
    metric: str
    title: str
    unit: str
    width: int
    height: int
    lines: list[Line]
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    baseline_y: float
    higher_is_better: bool
    table: Table | None = None

    @property
    def empty(self) -> bool:
        return not any(line.dots for line in self.lines)


def _nice_step(span: float) -> float:
    raw = span / 4 or 1
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def _busiest(series: Series) -> list[str]:
    return sorted(series.slices, key=lambda s: (-sum(p.n for p in series.values(s).values()), s))


def line_chart(series: Series, colours: Mapping[str, str]) -> Chart:
    """One line per slice (the busiest `MAX_LINES`), weeks along the x axis.

    `colours` gives each slice value its colour (the same in every chart of the page).
    """
    weeks = series.weeks
    ranked = _busiest(series)
    slices = ranked[:MAX_LINES]
    values = [p.value for p in series.points if p.slice in slices and p.value is not None]
    low = min([0.0, *values])
    high = max([1.0, *values])
    if series.metric.unit.startswith("%"):
        high = max(high, 100.0)
    step = _nice_step(high - low)
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(index: int) -> float:
        return round(LEFT + (index + 0.5) * plot_w / max(1, len(weeks)), 1)

    def y_of(value: float) -> float:
        return round(TOP + (high - value) / (high - low) * plot_h, 1)

    lines = []
    for slice_ in slices:
        by_week = series.values(slice_)
        dots = [
            Dot(
                x_of(i),
                y_of(by_week[w].value),
                f"{slice_} {w}: {by_week[w].value} (n={by_week[w].n})",
            )
            for i, w in enumerate(weeks)
            if w in by_week and by_week[w].value is not None
        ]
        latest = max(by_week.values(), key=lambda p: p.week, default=None)
        lines.append(
            Line(
                slice_,
                colours.get(slice_, NONE_COLOUR),
                " ".join(f"{d.x},{d.y}" for d in dots),
                dots,
                n=sum(p.n for p in by_week.values()),
                latest=latest,
            )
        )
    ticks = []
    tick = low
    while tick <= high + 1e-9:
        ticks.append((y_of(tick), f"{tick:g}"))
        tick += step
    every = max(1, math.ceil(len(weeks) / 8))
    return Chart(
        metric=series.metric.name,
        title=series.metric.label,
        unit=series.metric.unit,
        width=WIDTH,
        height=HEIGHT,
        lines=lines,
        x_labels=[(x_of(i), w.split("-")[1]) for i, w in enumerate(weeks) if i % every == 0],
        y_ticks=ticks,
        baseline_y=y_of(max(low, 0.0)),
        higher_is_better=series.metric.higher_is_better,
        table=_table(series, ranked, colours),
    )


def _table(series: Series, slices: list[str], colours: Mapping[str, str]) -> Table:
    rows = []
    for slice_ in slices:
        by_week = series.values(slice_)
        cells = [
            Cell(by_week[w].value, by_week[w].n) if w in by_week else None for w in series.weeks
        ]
        rows.append((slice_, colours.get(slice_, NONE_COLOUR), cells))
    return Table(series.weeks, rows)

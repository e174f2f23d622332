"""Server-rendered SVG line charts for the figures: geometry here, markup in the template."""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.services.board.colours import ROUTE_COLOURS
from app.services.metrics import ALL, Series

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

    @property
    def empty(self) -> bool:
        return not any(line.dots for line in self.lines)


def _nice_step(span: float) -> float:
    raw = span / 4 or 1
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def line_chart(series: Series) -> Chart:
    """One line per slice (the busiest `MAX_LINES`), weeks along the x axis."""
    weeks = series.weeks
    slices = sorted(series.slices, key=lambda s: (-sum(p.n for p in series.values(s).values()), s))[
        :MAX_LINES
    ]
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
    for number, slice_ in enumerate(slices):
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
        colour = "#2563eb" if slice_ == ALL else ROUTE_COLOURS[number % len(ROUTE_COLOURS)]
        lines.append(Line(slice_, colour, " ".join(f"{d.x},{d.y}" for d in dots), dots))
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
    )

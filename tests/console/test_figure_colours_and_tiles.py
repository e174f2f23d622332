"""Figures: one colour per slice value on every chart, sample sizes, this week against last."""

import datetime as dt
import re

from app.console.charts import line_chart
from app.services import metrics
from app.services.board import colours as palette
from app.services.headlines import headline
from tests.console.test_metrics import TZ, W46, W47, at, rate
from tests.factories import DepotFactory, TechnicianFactory

PERIOD = {"first_day": W46, "last_day": W47 + dt.timedelta(days=6), "tz": TZ}


def test_forty_technicians_get_forty_different_colours(session):
    depot = DepotFactory()
    for number in range(40):
        TechnicianFactory(name=f"Technician {number}", depot_id=depot.id)
    colours = palette.technician_colours(session)
    assert len(colours) == 40
    assert len(set(colours.values())) == 40


def test_a_region_has_the_same_colour_in_every_chart(session, team, done_visit):
    # Ana (North) is rated in both weeks, Bo (South) only completes visits: charts differ in
    # which slices they show and in what order, never in a slice's colour.
    for week in (W46, W47):
        rate(done_visit(team["ana"], at(week, 10)), 5, 10)
    done_visit(team["bo"], at(W47, 11))
    colours = palette.slice_colours(session, "region")
    seen = {}
    for name in ("csat", "nps", "time_to_resolve", "complaint_rate"):
        chart = line_chart(metrics.compute(session, name, by="region", **PERIOD), colours)
        for line in chart.lines:
            assert seen.setdefault(line.label, line.colour) == line.colour
    assert seen["North"] != seen["South"]
    assert seen["North"] == colours["North"]


def test_a_technician_has_the_same_colour_on_the_board_and_in_the_figures(session, team):
    by_id = palette.technician_colours(session)
    by_name = palette.slice_colours(session, "technician")
    assert by_name["Ana"] == by_id[team["ana"].id]
    assert by_name["Bo"] == by_id[team["bo"].id]


def test_each_line_carries_its_sample_size_and_latest_value(session, team, done_visit):
    for csat in (5, 4, 2):
        rate(done_visit(team["ana"], at(W46, 10)), csat)
    rate(done_visit(team["ana"], at(W47, 10)), 5)
    series = metrics.compute(session, "csat", by="technician", **PERIOD)
    chart = line_chart(series, palette.slice_colours(session, "technician"))
    (line,) = chart.lines
    assert line.n == 4
    assert (line.latest.week, line.latest.value, line.latest.n) == ("2026-W47", 100.0, 1)
    (row,) = chart.table.rows
    assert [(c.value, c.n) for c in row[2]] == [(66.67, 3), (100.0, 1)]


def test_the_headline_compares_this_week_with_last_week(session, team, done_visit):
    for csat in (5, 2):
        rate(done_visit(team["ana"], at(W46, 10)), csat, 10)
    for csat in (5, 4, 4):
        rate(done_visit(team["ana"], at(W47, 10)), csat, 3)
    tiles = {t.metric.name: t for t in headline(session, W47 + dt.timedelta(days=2), TZ)}
    assert list(tiles) == ["csat", "nps", "first_time_fix", "sla_attainment"]
    csat = tiles["csat"]
    assert (csat.this_week.value, csat.this_week.n) == (100.0, 3)
    assert (csat.last_week.value, csat.last_week.n) == (50.0, 2)
    assert csat.change == 50.0
    assert csat.better is True
    nps = tiles["nps"]
    assert (nps.last_week.value, nps.this_week.value) == (100.0, -100.0)
    assert nps.better is False
    assert tiles["first_time_fix"].this_week is None
    assert tiles["first_time_fix"].better is None


def test_the_figures_page_shows_tiles_and_sample_sizes(console, session, team, done_visit):
    rate(done_visit(team["ana"], dt.datetime.now(TZ) - dt.timedelta(hours=2)), 5, 10)
    page = console.get("/console/metrics?by=technician").text
    assert 'id="tile-csat"' in page
    assert 'id="tile-sla_attainment"' in page
    assert re.search(r'id="tile-csat".*?n=1', page, re.S)
    colour = palette.technician_colours(session)[team["ana"].id]
    assert f'stroke="{colour}"' in page
    assert "n=1" in page[page.index('id="chart-csat"') :]

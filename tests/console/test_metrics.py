"""Figures by ISO week and slice, checked on small hand-made data with known answers."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from app.models import VisitKind
from app.services import metrics
from tests.factories import (
    ComplaintFactory,
    RatingFactory,
    RepairOutcomeFactory,
    SlaPolicyFactory,
)

TZ = ZoneInfo("Asia/Shanghai")
W46 = dt.date(2026, 11, 9)  # Monday of ISO week 2026-W46
W47 = dt.date(2026, 11, 16)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def figure(session, name, by="all", first=W46, last=W47 + dt.timedelta(days=6)):
    series = metrics.compute(session, name, by=by, first_day=first, last_day=last, tz=TZ)
    return {(p.week, p.slice): (p.value, p.n) for p in series.points}


def rate(visit, csat, nps=None, when=None):
    return RatingFactory(
        visit_id=visit.id,
        customer_id=visit.customer_id,
        csat=csat,
        nps=nps,
        created_at=when or visit.status_changed_at + dt.timedelta(hours=1),
    )


def test_csat_is_the_share_of_ratings_of_four_or_five_per_week(session, team, done_visit):
    for csat in (5, 4, 2):
        rate(done_visit(team["ana"], at(W46, 10)), csat)
    rate(done_visit(team["ana"], at(W47, 10)), 3)
    assert figure(session, "csat") == {
        ("2026-W46", "all"): (66.67, 3),
        ("2026-W47", "all"): (0.0, 1),
    }


def test_nps_is_promoters_minus_detractors_among_ratings_with_a_score(session, team, done_visit):
    for nps in (10, 9, 8, 3, None):
        rate(done_visit(team["ana"], at(W46, 10)), 5, nps)
    assert figure(session, "nps") == {("2026-W46", "all"): (25.0, 4)}


def test_first_time_fix_counts_only_original_repairs(session, team, done_visit):
    for fixed, follow_up in ((True, False), (False, False), (True, True)):
        visit = done_visit(team["bo"], at(W46, 10), kind=VisitKind.REPAIR)
        RepairOutcomeFactory(
            visit_id=visit.id,
            customer_id=visit.customer_id,
            fixed=fixed,
            is_follow_up=follow_up,
            first_time_fix=fixed and not follow_up,
            recorded_at=at(W46, 12),
        )
    assert figure(session, "first_time_fix") == {("2026-W46", "all"): (50.0, 2)}


def test_time_to_resolve_is_the_mean_of_hours_from_request_to_completion(session, team, done_visit):
    done_visit(team["ana"], at(W46, 10), created=at(W46, 10) - dt.timedelta(hours=24))
    done_visit(team["ana"], at(W46, 20), created=at(W46, 8))
    assert figure(session, "time_to_resolve") == {("2026-W46", "all"): (18.0, 2)}


def test_sla_attainment_is_the_share_done_by_the_resolution_due_time(session, team, done_visit):
    SlaPolicyFactory(response_min=60, resolution_min=12 * 60)
    done_visit(team["ana"], at(W46, 10), sla_due=at(W46, 11))  # met
    done_visit(team["ana"], at(W46, 10), sla_due=at(W46, 9))  # missed
    done_visit(team["ana"], at(W46, 10), created=at(W46, 0))  # policy: due 12:00, met
    assert figure(session, "sla_attainment") == {("2026-W46", "all"): (66.67, 3)}


def test_complaint_rate_is_complaints_per_hundred_completed_visits(session, team, done_visit):
    visits = [done_visit(team["ana"], at(W46, 10)) for _ in range(4)]
    ComplaintFactory(
        customer_id=visits[0].customer_id, visit_id=visits[0].id, created_at=at(W46, 15)
    )
    assert figure(session, "complaint_rate") == {("2026-W46", "all"): (25.0, 4)}


def test_figures_slice_by_region_technician_kind_and_product_line(session, team, done_visit):
    rate(done_visit(team["ana"], at(W46, 10), kind=VisitKind.INSTALL, product="wardrobe"), 5)
    rate(done_visit(team["bo"], at(W46, 10), kind=VisitKind.REPAIR, product="kitchen"), 1)
    assert figure(session, "csat", "region") == {
        ("2026-W46", "North"): (100.0, 1),
        ("2026-W46", "South"): (0.0, 1),
    }
    assert set(figure(session, "csat", "technician")) == {("2026-W46", "Ana"), ("2026-W46", "Bo")}
    assert figure(session, "csat", "kind")[("2026-W46", "install")] == (100.0, 1)
    assert figure(session, "csat", "product_line")[("2026-W46", "kitchen")] == (0.0, 1)


def test_weeks_are_read_in_the_service_areas_time_zone(session, team, done_visit):
    # Monday 00:30 in Shanghai is still Sunday in UTC: it belongs to the new week.
    visit = done_visit(team["ana"], at(W46, 10))
    rate(visit, 5, when=at(W47, 0, 30))
    assert list(figure(session, "csat")) == [("2026-W47", "all")]


def test_an_unknown_figure_is_refused(session):
    with pytest.raises(Exception, match="unknown figure"):
        metrics.compute(session, "happiness", first_day=W46, last_day=W47, tz=TZ)


# --- the API --------------------------------------------------------------------------------


@pytest.fixture
def rated(session, team, done_visit):
    rate(done_visit(team["ana"], at(W46, 10)), 5, 10)
    rate(done_visit(team["bo"], at(W46, 10)), 2, 0)


QUERY = "from=2026-11-09&to=2026-11-22"


def test_the_api_answers_a_figure_by_week_and_slice(client, as_dispatcher, rated):
    response = client.get(f"/api/v1/metrics/csat?by=region&{QUERY}", headers=as_dispatcher)
    assert response.status_code == 200
    body = response.json
    assert (body["metric"], body["by"], body["weeks"]) == (
        "csat",
        "region",
        ["2026-W46", "2026-W47"],
    )
    assert {s["slice"]: s["points"] for s in body["series"]}["North"] == [
        {"week": "2026-W46", "value": 100.0, "n": 1}
    ]


def test_the_api_answers_csv_when_asked_with_format(client, as_dispatcher, rated):
    response = client.get(f"/api/v1/metrics/nps?format=csv&{QUERY}", headers=as_dispatcher)
    assert response.mimetype == "text/csv"
    assert response.text.splitlines() == ["metric,week,slice,value,n", "nps,2026-W46,all,0.0,2"]


def test_the_api_answers_csv_when_the_accept_header_prefers_it(client, as_dispatcher, rated):
    headers = {**as_dispatcher, "Accept": "text/csv"}
    response = client.get(f"/api/v1/metrics?{QUERY}", headers=headers)
    assert response.mimetype == "text/csv"
    lines = response.text.splitlines()
    assert lines[0] == "metric,week,slice,value,n"
    assert "csat,2026-W46,all,50.0,2" in lines


def test_an_unknown_figure_is_a_422_in_the_one_error_format(client, as_dispatcher):
    response = client.get("/api/v1/metrics/happiness", headers=as_dispatcher)
    assert response.status_code == 422
    assert set(response.json) >= {"status", "code", "message", "errors"}


def test_technicians_cannot_read_the_figures(client, technician, login):
    response = client.get("/api/v1/metrics/csat", headers=login(technician.user))
    assert response.status_code == 403

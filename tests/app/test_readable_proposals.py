"""Proposals a dispatcher can read: named technicians, KPIs in km/hours/%, one priority scale."""

import datetime as dt

import pytest

import dispatch
from app.demo import SLA_POLICIES
from app.jobs.dispatching import run_dispatch
from app.models import DispatchRun, LockState
from app.services.dispatching.runs import RunRequest, create_run
from app.services.proposal_figures import (
    KPI_LABELS,
    ProposalKpis,
    name_technicians,
    plan_kpis,
)
from tests.factories import TechnicianFactory, VisitFactory, measure_visits_tomorrow, tomorrow_at

NAMES = {"7": "Wang Wei", "12": "Li Na"}


def solve(session):
    run = create_run(
        session, RunRequest(first_day=tomorrow_at(9).date(), time_limit_s=1), user_id=None
    )
    session.commit()
    run_dispatch(run.id, "Asia/Shanghai")
    session.expire_all()
    return session.get(DispatchRun, run.id)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "7's day 2026-12-01 is full with 7 visit(s) of priority 7 or higher; visit 7 has "
            "priority 3.",
            "Wang Wei's day 2026-12-01 is full with 7 visit(s) of priority 7 or higher; visit 7 "
            "has priority 3.",
        ),
        (
            "Visit 7 with 7 on 2026-12-01 would leave no room for the break.",
            "Visit 7 with Wang Wei on 2026-12-01 would leave no room for the break.",
        ),
        (
            "7 can reach visit 12 at 10:07 at the earliest, after its hard SLA.",
            "Wang Wei can reach visit 12 at 10:07 at the earliest, after its hard SLA.",
        ),
        (
            "Visit 12 is locked to technician 7, who is unknown or lacks the skills.",
            "Visit 12 is locked to Wang Wei, who is unknown or lacks the skills.",
        ),
    ],
)
def test_reasons_name_the_technician_and_leave_other_numbers_alone(message, expected):
    assert name_technicians(message, {"technician_id": "7"}, NAMES) == expected


def test_a_reason_without_a_technician_is_left_as_it_is():
    message = "Visit 7 has no geocoded address."
    assert name_technicians(message, {}, NAMES) == message


def test_a_proposal_names_the_technician_a_visit_is_locked_to(session):
    TechnicianFactory(skills={"measure": 2})
    pinned_to = TechnicianFactory(skills={}, name="Zhao Lei")
    visit = VisitFactory(
        required_skills={"measure": 1},
        window_start=tomorrow_at(9),
        window_end=tomorrow_at(16),
        technician_id=pinned_to.id,
        lock=LockState.TECHNICIAN,
    )
    run = solve(session)
    reasons = {u["visit_id"]: u["reasons"] for u in run.proposal["unassigned"]}
    reason = reasons[visit.id][0]
    assert "Zhao Lei" in reason["message"]
    assert f"technician {pinned_to.id}" not in reason["message"]
    assert reason["details"]["technician_name"] == "Zhao Lei"


def test_proposal_kpis_are_in_km_hours_and_percent(session):
    TechnicianFactory(skills={"measure": 2})
    measure_visits_tomorrow(3)
    kpis = solve(session).proposal["kpis"]
    assert set(kpis) == {k.name for k in KPI_LABELS}
    assert "objective" not in kpis
    assert kpis["assigned"] == 3
    assert 0 < kpis["work_hours"] <= 8
    assert 0 < kpis["utilisation_pct"] <= 100
    assert kpis["travel_km"] > 0


def test_every_kpi_has_a_label_and_a_unit_and_nothing_else():
    assert {k.name for k in KPI_LABELS} == set(ProposalKpis.__dataclass_fields__)


def test_on_time_and_sla_misses_come_from_one_count(session):
    TechnicianFactory(skills={"measure": 2})
    due = tomorrow_at(9, 30)
    for _ in range(3):
        VisitFactory(
            required_skills={"measure": 1},
            window_start=tomorrow_at(9),
            window_end=tomorrow_at(16),
            sla_due=due,
            duration_min=120,
        )
    VisitFactory(
        required_skills={"stone": 5},
        sla_due=due,
        window_start=tomorrow_at(9),
        window_end=tomorrow_at(16),
    )  # nobody can do it: a miss, left out
    proposal = solve(session).proposal
    for side in ("kpis", "published_kpis"):
        k = proposal[side]
        assert k["sla_visits"] == 4
        assert k["on_time_pct"] == round(100 * (k["sla_visits"] - k["sla_misses"]) / 4, 1)
    assert proposal["kpis"]["sla_misses"] >= 3  # one left out, two of three necessarily late
    assert proposal["published_kpis"]["sla_misses"] == 4  # nothing is published yet


def test_plan_kpis_with_no_sla_visit_are_fully_on_time():
    problem = dispatch.Problem(
        technicians=[], visits=[], horizon_start=dt.date(2026, 12, 1), horizon_days=1
    )
    empty = dispatch.Plan(
        routes=[],
        unassigned=[],
        kpis=dispatch.Kpis(0.0, 0, 0.0, 1.0, 0, 0, 0),
    )
    kpis = plan_kpis(problem, empty)
    assert (kpis.sla_visits, kpis.sla_misses, kpis.on_time_pct) == (0, 0, 100.0)


def test_priority_five_is_the_most_important_in_the_seeded_policies():
    urgent = next(p for p in SLA_POLICIES if p["name"] == "Repair, urgent")
    assert urgent["priority"] == 5


def test_the_openapi_document_says_which_priority_is_most_important(client):
    schemas = client.get("/api/openapi.json").json["components"]["schemas"]
    described = [
        field["description"]
        for schema in schemas.values()
        for name, field in schema.get("properties", {}).items()
        if name == "priority"
    ]
    assert described
    assert all("5 is the most important" in text for text in described)

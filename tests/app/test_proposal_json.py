"""The proposal is typed data with one JSON form: what is stored loads back unchanged."""

from __future__ import annotations

import copy
import datetime as dt

from app.services.dispatching.proposal import (
    Assignment,
    Change,
    Diff,
    FixedVisit,
    LeftOut,
    Proposal,
    Route,
    Slot,
    Unassigned,
    ZoneRepair,
    Zones,
    from_json,
    to_json,
)
from app.services.proposal_figures import ProposalKpis, Reason

CST = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2026, 12, 1)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, 1, hour, minute, tzinfo=CST)


def kpis(assigned: int, unassigned: int) -> ProposalKpis:
    return ProposalKpis(
        travel_km=12.3,
        travel_hours=0.6,
        work_hours=3.0,
        utilisation_pct=37.5,
        sla_visits=2,
        sla_misses=1,
        on_time_pct=50.0,
        assigned=assigned,
        unassigned=unassigned,
    )


def a_proposal(*, zones: Zones | None = None) -> Proposal:
    busy = Reason("overlaps_promised_work", "Visit 4 would overlap visit 9.", {"visit_id": 9})
    named = Reason(
        "skill_mismatch",
        "Wang Wei lacks install.",
        {"technician_id": 7, "technician_name": "Wang Wei", "day": "2026-12-01"},
    )
    return Proposal(
        status="feasible",
        routes=(
            Route(7, DAY, at(8), at(17), at(12), 23.45, 41, (1, 2)),
            Route(8, DAY, at(9), at(12), None, 0.0, 0, ()),
        ),
        assignments=(
            Assignment(1, 7, DAY, at(9), at(8, 40), at(10), 20, 15, 0, 0),
            Assignment(2, 7, DAY, at(13), at(13), at(14, 30), 0, 0, 5, 1),
        ),
        unassigned=(Unassigned(3, (named,)), Unassigned(4, (busy,))),
        fixed=(FixedVisit(9, 8, at(10), at(11)),),
        to_unschedule=(LeftOut(5, 8, at(15), (busy,)),),
        kept=(LeftOut(6, 7, at(16), (named,)),),
        kpis=kpis(2, 2),
        published_kpis=kpis(1, 3),
        kpi_deltas={"assigned": 1.0, "unassigned": -1.0, "travel_km": 0.0},
        diff=Diff(
            added=(Change(1, None, Slot(7, at(9))),),
            moved=(Change(2, Slot(7, at(11)), Slot(7, at(13))),),
            dropped=(Change(5, Slot(8, at(15)), None),),
        ),
        zones=zones,
    )


def test_a_proposal_survives_its_json_form():
    proposal = a_proposal()
    assert from_json(to_json(proposal)) == proposal


def test_a_zoned_proposal_survives_its_json_form():
    proposal = a_proposal(zones=Zones(3, ZoneRepair(2, 1, 14, 0.8, True)))
    assert from_json(to_json(proposal)) == proposal


STORED = {
    "status": "feasible",
    "routes": [
        {
            "technician_id": 7,
            "day": "2026-12-01",
            "start": "2026-12-01T00:00:00+00:00",
            "end": "2026-12-01T09:00:00+00:00",
            "break_start": "2026-12-01T04:00:00+00:00",
            "travel_km": 23.45,
            "travel_min": 41,
            "visit_ids": [1],
        }
    ],
    "assignments": [
        {
            "visit_id": 1,
            "technician_id": 7,
            "day": "2026-12-01",
            "planned_start": "2026-12-01T01:00:00+00:00",
            "arrival": "2026-12-01T00:40:00+00:00",
            "end": "2026-12-01T02:00:00+00:00",
            "wait_min": 20,
            "slack_min": 15,
            "late_min": 0,
            "sequence": 0,
        }
    ],
    "unassigned": [
        {
            "visit_id": 3,
            "reasons": [
                {
                    "code": "skill_mismatch",
                    "message": "Wang Wei lacks install.",
                    "details": {"technician_id": 7, "technician_name": "Wang Wei"},
                }
            ],
        }
    ],
    "fixed": [
        {
            "visit_id": 9,
            "technician_id": 8,
            "planned_start": "2026-12-01T02:00:00+00:00",
            "end": "2026-12-01T03:00:00+00:00",
        }
    ],
    "to_unschedule": [
        {
            "visit_id": 5,
            "technician_id": 8,
            "planned_start": "2026-12-01T07:00:00+00:00",
            "reasons": [
                {
                    "code": "not_in_proposal",
                    "message": "The proposal found no place for this visit.",
                    "details": {},
                }
            ],
        }
    ],
    "kept": [],
    "kpis": {
        "travel_km": 23.4,
        "travel_hours": 0.7,
        "work_hours": 1.0,
        "utilisation_pct": 11.1,
        "sla_visits": 1,
        "sla_misses": 0,
        "on_time_pct": 100.0,
        "assigned": 1,
        "unassigned": 1,
    },
    "published_kpis": {
        "travel_km": 0.0,
        "travel_hours": 0.0,
        "work_hours": 0.0,
        "utilisation_pct": 0.0,
        "sla_visits": 1,
        "sla_misses": 1,
        "on_time_pct": 0.0,
        "assigned": 0,
        "unassigned": 2,
    },
    "kpi_deltas": {
        "travel_km": 23.4,
        "travel_hours": 0.7,
        "work_hours": 1.0,
        "utilisation_pct": 11.1,
        "sla_visits": 0,
        "sla_misses": -1,
        "on_time_pct": 100.0,
        "assigned": 1,
        "unassigned": -1,
    },
    "diff": {
        "added": [
            {
                "visit_id": 1,
                "to": {"technician_id": 7, "planned_start": "2026-12-01T01:00:00+00:00"},
            }
        ],
        "moved": [],
        "reassigned": [],
        "dropped": [
            {
                "visit_id": 5,
                "from": {"technician_id": 8, "planned_start": "2026-12-01T07:00:00+00:00"},
            }
        ],
        "unchanged": [],
    },
}


def test_a_stored_proposal_loads_and_is_written_back_as_it_was():
    proposal = from_json(copy.deepcopy(STORED))
    assert proposal.assignments[0].planned_start == dt.datetime(2026, 12, 1, 9, tzinfo=CST)
    assert proposal.unassigned[0].reasons[0].details["technician_name"] == "Wang Wei"
    assert proposal.diff.dropped[0].before == Slot(8, at(15))
    assert proposal.diff.dropped[0].after is None
    assert to_json(proposal) == STORED


def test_a_run_stores_its_proposal_in_the_one_json_form(session):
    from app.jobs.dispatching import run_dispatch
    from app.models import DispatchRun
    from app.services.dispatching.runs import RunRequest, create_run
    from tests.factories import TechnicianFactory, measure_visits_tomorrow, tomorrow_at

    TechnicianFactory(skills={"measure": 1})
    measure_visits_tomorrow(2)
    run = create_run(
        session, RunRequest(first_day=tomorrow_at(9).date(), time_limit_s=1), user_id=None
    )
    session.commit()
    run_dispatch(run.id, "Asia/Shanghai")
    session.expire_all()
    stored = session.get(DispatchRun, run.id).proposal
    assert to_json(from_json(stored)) == stored
    assert len(stored["assignments"]) == 2

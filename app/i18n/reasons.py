"""Why a visit stays unassigned, in words: `dispatch/` gives codes and details, pages word them.

Each reason code has one message with `%(name)s` parameters taken from the reason's details;
a reason whose details lack a parameter keeps the planner's English message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from app.i18n.text import N_, Text

REASONS: dict[str, str] = {
    "not_planned": N_("Not planned yet: run the optimizer or move it by hand."),
    "missing_location": N_("Visit %(visit_id)s has no geocoded address."),
    "no_skilled_technician": N_(
        "No technician holds the skills visit %(visit_id)s needs: %(skills)s."
    ),
    "locked_technician_unavailable": N_(
        "Visit %(visit_id)s is locked to technician %(technician_id)s, who is unknown or lacks "
        "the required skills."
    ),
    "no_shift_in_horizon": N_(
        "No technician with the skills visit %(visit_id)s needs works in the planning horizon."
    ),
    "window_outside_shifts": N_(
        "The time windows of visit %(visit_id)s fall outside every shift of the technicians "
        "with the required skills."
    ),
    "dependency_unsatisfiable": N_(
        "Visit %(visit_id)s must follow visit %(depends_on)s, which cannot be planned in time."
    ),
    "location_unreachable": N_(
        "Visit %(visit_id)s cannot be reached from the start point of technician %(technician_id)s."
    ),
    "window_conflict": N_(
        "Technician %(technician_id)s can reach visit %(visit_id)s at %(arrival)s at the "
        "earliest, after its last time window closes."
    ),
    "sla_unreachable": N_(
        "Technician %(technician_id)s can reach visit %(visit_id)s at %(arrival)s at the "
        "earliest, after its hard SLA."
    ),
    "shift_too_short": N_(
        "The shift of technician %(technician_id)s on %(day)s is too short for visit "
        "%(visit_id)s (%(duration_min)s min) plus travel there and back."
    ),
    "break_conflict": N_(
        "Visit %(visit_id)s with technician %(technician_id)s on %(day)s would leave no room "
        "for the break."
    ),
    "displaced_by_higher_priority": N_(
        "The day of technician %(technician_id)s on %(day)s is full with %(route_visits)s "
        "visit(s) of priority %(min_route_priority)s or higher."
    ),
    "no_capacity": N_(
        "The day of technician %(technician_id)s on %(day)s has no room for visit "
        "%(visit_id)s between its %(route_visits)s planned visit(s)."
    ),
    "in_progress_conflict": N_(
        "Visit %(visit_id)s is in progress with technician %(technician_id)s, but their day as "
        "given cannot hold it: they are elsewhere now, or another visit in progress overlaps it."
    ),
    "search_time_limit": N_(
        "Visit %(visit_id)s fits into the route of technician %(technician_id)s on %(day)s; "
        "the search stopped before placing it (raise the time limit)."
    ),
}


def reason_text(
    visit_id: int | str,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
) -> Text:
    """The reason as a translatable text (the planner's message when it cannot be worded)."""
    template = REASONS.get(code)
    if template is None:
        return Text(message)
    params = _params(visit_id, details or {})
    try:
        template % params
    except (KeyError, TypeError, ValueError):
        return Text(message)
    return Text(template, params)


def _params(visit_id: int | str, details: Mapping[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {"visit_id": visit_id, **details}
    missing = details.get("missing")
    if isinstance(missing, Mapping):
        params["skills"] = ", ".join(
            f"{skill} ≥ {need.get('required')}" for skill, need in missing.items()
        )
    arrival = details.get("earliest_arrival")
    if isinstance(arrival, str):
        try:
            params["arrival"] = dt.datetime.fromisoformat(arrival).strftime("%H:%M")
        except ValueError:
            params["arrival"] = arrival
    return params

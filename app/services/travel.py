"""The travel model the app plans and projects with, built from settings.

The planner (through the problem's solver settings) and the SLA projection and board (through
`travel_model`) drive the same `dispatch.travel.GeodesicProvider`, so a route the planner
timed is re-timed with the same minutes.
"""

from __future__ import annotations

import math

import dispatch
from app.config import ConfigError, Settings
from dispatch.travel import GeodesicProvider
from dispatch.travel import travel_model as _solver_travel_model


def solver_settings(
    settings: Settings, time_limit_s: float = dispatch.SolverSettings.time_limit_s
) -> dispatch.SolverSettings:
    """The planner's settings for a run: its time limit, the app's travel model, budget, weights."""
    return dispatch.SolverSettings(
        time_limit_s=time_limit_s,
        search_iterations=settings.solver_search_iterations,
        time_unit_s=settings.planner_time_unit_s,
        travel_kmh=float(settings.sla_travel_kmh),
        detour_factor=settings.travel_detour_factor,
        priority_weights=settings.planner_priority_weights,
    )


def shown_minutes(minutes: float) -> int:
    """Driving minutes as a person reads them: the nearest whole minute, and a drive that takes
    any time at all at least 1 (never "0 min"). Only for display: compare and add the exact
    minutes (`GeodesicProvider.minutes` returns fractions)."""
    if minutes <= 0:
        return 0
    return max(1, math.floor(minutes + 0.5))


def check_planner_settings(settings: Settings) -> None:
    """ConfigError if the planner refuses what the settings give it (called at process start)."""
    try:
        solver_settings(settings)
    except ValueError as exc:
        raise ConfigError(
            "the planner refuses these settings (PLANNER_PRIORITY_WEIGHTS, SLA_TRAVEL_KMH, "
            f"TRAVEL_DETOUR_FACTOR, SOLVER_SEARCH_ITERATIONS): {exc}"
        ) from exc


def travel_model(settings: Settings) -> GeodesicProvider:
    """The travel model of the settings, as the planner builds it."""
    return _solver_travel_model(solver_settings(settings))

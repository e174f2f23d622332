"""Field-service dispatch: plan technicians' days with OR-Tools and explain what is left out."""

from dispatch.evaluation import evaluate
from dispatch.insertion import insert_visit
from dispatch.model import (
    Break,
    CurrentPosition,
    Dependency,
    Kpis,
    Lock,
    Plan,
    Problem,
    Reason,
    Route,
    Shift,
    SolverSettings,
    Stop,
    Technician,
    Unassigned,
    Visit,
)
from dispatch.solver import solve
from dispatch.travel import (
    FixedMatrixProvider,
    GeodesicProvider,
    MatrixProvider,
    OsrmTableProvider,
)

__all__ = [
    "Break",
    "CurrentPosition",
    "Dependency",
    "FixedMatrixProvider",
    "GeodesicProvider",
    "Kpis",
    "Lock",
    "MatrixProvider",
    "OsrmTableProvider",
    "Plan",
    "Problem",
    "Reason",
    "Route",
    "Shift",
    "SolverSettings",
    "Stop",
    "Technician",
    "Unassigned",
    "Visit",
    "evaluate",
    "insert_visit",
    "solve",
]

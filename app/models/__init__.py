"""All mapped models, imported here so the metadata is complete."""

from app.models.customers import Customer, CustomerTier, Order, OrderStage, Site
from app.models.dispatch import DispatchRun, RunStatus
from app.models.technicians import Depot, Skill, Technician, TechnicianSkill
from app.models.users import AuthToken, Role, User
from app.models.visits import (
    ChecklistAnswer,
    ChecklistTemplate,
    LockState,
    Photo,
    PhotoKind,
    Signature,
    Visit,
    VisitKind,
    VisitNote,
    VisitSkill,
    VisitStatus,
    VisitStatusChange,
)

__all__ = [
    "AuthToken",
    "ChecklistAnswer",
    "ChecklistTemplate",
    "Customer",
    "CustomerTier",
    "Depot",
    "DispatchRun",
    "LockState",
    "Order",
    "OrderStage",
    "Photo",
    "PhotoKind",
    "Role",
    "RunStatus",
    "Signature",
    "Site",
    "Skill",
    "Technician",
    "TechnicianSkill",
    "User",
    "Visit",
    "VisitKind",
    "VisitNote",
    "VisitSkill",
    "VisitStatus",
    "VisitStatusChange",
]

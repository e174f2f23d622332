"""All mapped models, imported here so the metadata is complete."""

from app.models.customers import Customer, CustomerTier, Order, OrderStage, Site
from app.models.sync import (
    Device,
    MutationReceipt,
    SyncChange,
    SyncHorizon,
    VisitAssignment,
    VisitReview,
    install_change_recording,
)
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
    "Device",
    "LockState",
    "MutationReceipt",
    "Order",
    "OrderStage",
    "Photo",
    "PhotoKind",
    "Role",
    "Signature",
    "Site",
    "Skill",
    "SyncChange",
    "SyncHorizon",
    "Technician",
    "TechnicianSkill",
    "User",
    "Visit",
    "VisitAssignment",
    "VisitKind",
    "VisitNote",
    "VisitReview",
    "VisitSkill",
    "VisitStatus",
    "VisitStatusChange",
]

# Syncable writes feed the change log through every session, whoever opens it.
install_change_recording()

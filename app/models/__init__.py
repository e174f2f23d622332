"""All mapped models, imported here so the metadata is complete."""

from app.models.customer_care import (
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    CustomerPreference,
    OrderStageChange,
    ProgressLink,
    RepairRequest,
)
from app.models.customers import Customer, CustomerTier, Order, OrderStage, Site
from app.models.dispatch import DispatchRun, RunStatus
from app.models.dispatch_zones import DispatchRunZone
from app.models.feedback import (
    Complaint,
    ComplaintStage,
    ComplaintStep,
    FollowUpLink,
    MessageStatus,
    OutboxMessage,
    PhotoBlob,
    Rating,
    RatingLink,
    RepairOutcome,
    UploadSession,
)
from app.models.knowledge import (
    Article,
    ArticleAudience,
    ArticleFeedback,
    ArticleReaction,
    ArticleRevision,
    ArticleStatus,
)
from app.models.sla import AlertLevel, SlaAlert, SlaPolicy
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
    install_schedule_tracking,
)

__all__ = [
    "AlertLevel",
    "Article",
    "ArticleAudience",
    "ArticleFeedback",
    "ArticleReaction",
    "ArticleRevision",
    "ArticleStatus",
    "AuthToken",
    "ChangeKind",
    "ChangeRequest",
    "ChangeStatus",
    "ChecklistAnswer",
    "ChecklistTemplate",
    "Complaint",
    "ComplaintStage",
    "ComplaintStep",
    "Customer",
    "CustomerPreference",
    "CustomerTier",
    "Depot",
    "Device",
    "DispatchRun",
    "DispatchRunZone",
    "FollowUpLink",
    "LockState",
    "MessageStatus",
    "MutationReceipt",
    "Order",
    "OrderStage",
    "OrderStageChange",
    "OutboxMessage",
    "Photo",
    "PhotoBlob",
    "PhotoKind",
    "ProgressLink",
    "Rating",
    "RatingLink",
    "RepairOutcome",
    "RepairRequest",
    "Role",
    "RunStatus",
    "Signature",
    "Site",
    "Skill",
    "SlaAlert",
    "SlaPolicy",
    "SyncChange",
    "SyncHorizon",
    "Technician",
    "TechnicianSkill",
    "UploadSession",
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

# Syncable writes feed the change log through every session, whoever opens it, and
# back-office edits know which visit fields the dispatcher last changed.
install_change_recording()
install_schedule_tracking()

"""The automations, in one place: each rule reacts to a domain event in the same transaction.

- measure completed                → the order moves to design
- order confirmed                  → an install visit is created (unscheduled, after the measure)
- install or repair completed      → a rating link is issued and sent through the outbox
- CSAT ≤ 2 or NPS ≤ 6              → a complaint is opened and assigned; the customer is tagged
- repair not fixed the first time  → a follow-up repair visit with the original SLA
- order created, stage reached     → the customer gets the order's progress link
- visit scheduled, on the way      → the customer hears the window, then the arrival estimate
- booked visit moved to a new window → the customer hears the new window
- booked visit loses its time        → the customer hears it is off (a new time will follow)
- booked visit cancelled             → the customer hears it is cancelled
- complaint opened or moved on     → the customer hears where it stands
- complaint moved on by another  → its owner is told through the outbox
- customer newly tagged churn risk → an alert on the board until someone acknowledges it

Rules never import the HTTP layer; they read the settings the process runs with
(a request, including a sync push), else the environment (a worker).
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings, active_settings
from app.database import utcnow
from app.events import (
    ComplaintAdvanced,
    ComplaintOpened,
    CustomerTagged,
    OrderCreated,
    OrderStageChanged,
    RatingSubmitted,
    VisitCalledOff,
    VisitCompleted,
    VisitRescheduled,
    VisitStatusChanged,
    subscribe,
)
from app.models import (
    Complaint,
    ComplaintStep,
    Customer,
    FollowUpLink,
    Order,
    OrderStage,
    Rating,
    RepairOutcome,
    Skill,
    Visit,
    VisitKind,
    VisitStatus,
)
from app.services import churn, complaints, order_notices, ratings
from app.services.customer_record import CHURN_RISK, refresh_tags
from app.services.eta import arrival_estimate
from app.services.orders import set_order_stage
from app.services.visits import create_visit

log = logging.getLogger(__name__)

# Production takes time: an install is not planned sooner than this after its measure.
INSTALL_LEAD_DAYS = 7
INSTALL_DURATION_MIN = 180
INSTALL_SKILLS = {
    "kitchen": ("install_cabinet", 2),
    "bathroom": ("install_cabinet", 1),
    "wardrobe": ("install_wardrobe", 2),
    "bedroom": ("install_wardrobe", 1),
    "study": ("install_wardrobe", 1),
}
_STAGES_BEFORE_DESIGN = (OrderStage.LEAD, OrderStage.MEASURE)


def settings() -> Settings:
    """The settings the process runs with (see `app.config.active_settings`)."""
    return active_settings()


@subscribe(VisitCompleted)
def measure_completed_moves_order_to_design(session: Session, event: VisitCompleted) -> None:
    """A finished measure hands the order to the designers."""
    if event.kind != VisitKind.MEASURE or event.order_id is None:
        return
    order = session.get(Order, event.order_id)
    if order is not None and order.stage in _STAGES_BEFORE_DESIGN:
        set_order_stage(session, order, OrderStage.DESIGN, actor_user_id=event.actor_user_id)


@subscribe(VisitCompleted)
def completed_install_or_repair_sends_rating_link(session: Session, event: VisitCompleted) -> None:
    """The customer is asked for a verdict on every install and repair."""
    if event.kind not in (VisitKind.INSTALL, VisitKind.REPAIR):
        return
    visit = session.get(Visit, event.visit_id)
    if visit is None:
        return
    current = settings()
    link, created = ratings.issue_link(session, current, visit)
    if created and not ratings.send_link(session, current, link):
        log.info("customer %s has no e-mail or phone; rating link not sent", visit.customer_id)


@subscribe(VisitCompleted)
def unfixed_repair_gets_follow_up(session: Session, event: VisitCompleted) -> None:
    """A repair that did not fix the fault is followed by another, under the original SLA."""
    if event.kind != VisitKind.REPAIR:
        return
    outcome = session.get(RepairOutcome, event.visit_id)
    if outcome is None or outcome.fixed:
        return
    original = session.get(Visit, event.visit_id)
    if original is None or session.scalar(
        select(FollowUpLink.id).where(FollowUpLink.original_visit_id == original.id)
    ):
        return
    follow_up = create_visit(
        session,
        {
            "kind": VisitKind.REPAIR,
            "customer_id": original.customer_id,
            "site_id": original.site_id,
            "order_id": original.order_id,
            "duration_min": original.duration_min,
            "sla_due": original.sla_due,
            "sla_hard": original.sla_hard,
            "priority": original.priority,
            "description": f"Follow-up of repair visit {original.id}: not fixed on the first visit",
            "required_skills": [
                {"code": s.skill.code, "min_level": s.min_level} for s in original.required_skills
            ],
        },
        actor_user_id=None,
        source="rule",
    )
    session.add(
        FollowUpLink(
            original_visit_id=original.id, follow_up_visit_id=follow_up.id, reason="not_fixed"
        )
    )
    session.flush()


@subscribe(OrderStageChanged)
def confirmed_order_gets_install_visit(session: Session, event: OrderStageChanged) -> None:
    """A confirmed design becomes an unscheduled install visit that waits for the measure."""
    if event.to_stage != OrderStage.CONFIRMED:
        return
    order = session.get(Order, event.order_id)
    if order is None:
        return
    existing = session.scalar(
        select(Visit.id).where(
            Visit.order_id == order.id,
            Visit.kind == VisitKind.INSTALL,
            Visit.status != VisitStatus.CANCELLED,
        )
    )
    if existing is not None:
        return
    site_id = order.site_id or _first_site_id(session, order.customer_id)
    if site_id is None:
        log.warning("order %s has no site; no install visit created", order.id)
        return
    measure_id = session.scalar(
        select(Visit.id)
        .where(Visit.order_id == order.id, Visit.kind == VisitKind.MEASURE)
        .order_by(Visit.status != VisitStatus.COMPLETED, Visit.status_changed_at.desc())
        .limit(1)
    )
    create_visit(
        session,
        {
            "kind": VisitKind.INSTALL,
            "customer_id": order.customer_id,
            "site_id": site_id,
            "order_id": order.id,
            "duration_min": INSTALL_DURATION_MIN,
            "depends_on_visit_id": measure_id,
            "depends_min_days": INSTALL_LEAD_DAYS if measure_id else 0,
            "description": f"Install for the {order.product_line} order",
            "required_skills": _install_skills(session, order.product_line),
        },
        actor_user_id=event.actor_user_id,
        source="rule",
    )


def _first_site_id(session: Session, customer_id: int) -> int | None:
    customer = session.get(Customer, customer_id)
    return customer.sites[0].id if customer and customer.sites else None


def _install_skills(session: Session, product_line: str) -> list[dict[str, object]]:
    wanted = INSTALL_SKILLS.get(product_line)
    if wanted is None or session.scalar(select(Skill.id).where(Skill.code == wanted[0])) is None:
        return []
    return [{"code": wanted[0], "min_level": wanted[1]}]


@subscribe(RatingSubmitted)
def verdict_retags_customer(session: Session, event: RatingSubmitted) -> None:
    """Promoter, detractor and churn-risk tags follow the customer's verdicts."""
    customer = session.get(Customer, event.customer_id)
    if customer is not None:
        refresh_tags(session, customer)


@subscribe(RatingSubmitted)
def negative_verdict_opens_complaint(session: Session, event: RatingSubmitted) -> None:
    """CSAT ≤ 2 or NPS ≤ 6 opens a complaint (once per verdict), assigned to its owner."""
    rating = session.get(Rating, event.rating_id)
    if rating is not None and rating.is_negative:
        complaints.open_for_rating(session, settings(), rating)


@subscribe(OrderCreated)
def new_order_sends_progress_link(session: Session, event: OrderCreated) -> None:
    """The customer can follow a new order from the start."""
    order = session.get(Order, event.order_id)
    if order is not None:
        order_notices.order_created(session, settings(), order)


@subscribe(OrderStageChanged)
def order_stage_sends_progress_link(session: Session, event: OrderStageChanged) -> None:
    """Each stage the order reaches is announced with its progress link."""
    order = session.get(Order, event.order_id)
    if order is not None:
        order_notices.stage_reached(session, settings(), order, event.to_stage)


@subscribe(VisitStatusChanged)
def visit_progress_tells_customer(session: Session, event: VisitStatusChanged) -> None:
    """A booked visit is announced with its window; a technician setting off, with the ETA."""
    if event.to_status not in (VisitStatus.SCHEDULED, VisitStatus.EN_ROUTE):
        return
    visit = session.get(Visit, event.visit_id)
    if visit is None:
        return
    current = settings()
    if event.to_status == VisitStatus.SCHEDULED:
        order_notices.visit_scheduled(session, current, visit, event.change_id)
        return
    eta = arrival_estimate(session, current, visit, utcnow())
    order_notices.on_the_way(session, current, visit, event.change_id, eta)


@subscribe(VisitRescheduled)
def rescheduled_visit_tells_customer(session: Session, event: VisitRescheduled) -> None:
    """A booked visit moved to another window or day is announced with the new window."""
    visit = session.get(Visit, event.visit_id)
    if visit is not None:
        order_notices.visit_rescheduled(session, settings(), visit, event.version)


@subscribe(VisitCalledOff)
def called_off_visit_tells_customer(session: Session, event: VisitCalledOff) -> None:
    """A booked visit taken off its day, or cancelled, is announced as off."""
    visit = session.get(Visit, event.visit_id)
    if visit is not None:
        order_notices.visit_called_off(
            session,
            settings(),
            visit,
            event.version,
            (event.told_start, event.told_end),
            cancelled=event.cancelled,
        )


@subscribe(ComplaintOpened)
def opened_complaint_tells_customer(session: Session, event: ComplaintOpened) -> None:
    """The customer learns their complaint is registered."""
    complaint = session.get(Complaint, event.complaint_id)
    if complaint is not None:
        order_notices.complaint_update(session, settings(), complaint, "opened")


@subscribe(ComplaintAdvanced)
def complaint_progress_tells_customer(session: Session, event: ComplaintAdvanced) -> None:
    """The customer hears when their complaint is taken on, acted upon and closed."""
    if event.to_stage not in ("assigned", "corrective_action", "closed"):
        return
    complaint = session.get(Complaint, event.complaint_id)
    if complaint is not None:
        order_notices.complaint_update(session, settings(), complaint, f"step:{event.step_id}")


@subscribe(ComplaintAdvanced)
def complaint_owner_hears_of_each_move(session: Session, event: ComplaintAdvanced) -> None:
    """The owner learns of every move of their complaint that someone else made."""
    complaint = session.get(Complaint, event.complaint_id)
    step = session.get(ComplaintStep, event.step_id)
    if complaint is not None and step is not None:
        complaints.notify_owner(
            session, settings(), complaint, step.id, actor_user_id=step.actor_user_id
        )


@subscribe(CustomerTagged)
def churn_risk_raises_board_alert(session: Session, event: CustomerTagged) -> None:
    """A customer newly at risk of leaving is flagged on the board until acknowledged."""
    if event.tag == CHURN_RISK:
        churn.raise_alert(session, event.customer_id, CHURN_RISK)

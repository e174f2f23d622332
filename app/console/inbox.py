"""The dispatchers' inbox: every new request, customers' self-service repair requests and changes
to visits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from app.api.settings import local_zone, settings
from app.console import auth
from app.console.auth import STAFF, page
from app.console.views import console
from app.database import db, utcnow
from app.models import ChangeRequest, Customer, RepairRequest, Visit
from app.services import repair_requests, visit_changes
from app.services.inbox import new_requests
from app.services.records import get_or_404
from app.services.sla.clocks import Clock, visit_clocks, worst
from app.services.sla.policies import active_policies, policy_for

# How many acknowledged requests stay listed below the new ones.
RECENT = 20


@dataclass(frozen=True)
class RepairRow:
    request: RepairRequest
    visit: Visit
    customer: Customer
    photos: int
    clock: Clock | None
    windows: list[tuple[dt.datetime, dt.datetime]]


@dataclass(frozen=True)
class ChangeRow:
    change: ChangeRequest
    visit: Visit
    customer: Customer


def _repair_rows(requests: list[RepairRequest]) -> list[RepairRow]:
    now = utcnow()
    policies = active_policies(db.session)
    photos = repair_requests.photo_counts(db.session, [r.visit_id for r in requests])
    rows = []
    for found in requests:
        visit = db.session.get(Visit, found.visit_id)
        customer = db.session.get(Customer, found.customer_id)
        assert visit is not None
        assert customer is not None
        policy = policy_for(policies, visit.kind, visit.priority, customer.tier)
        clock = worst(visit_clocks(visit, policy, now))
        windows = [
            (dt.datetime.fromisoformat(w["start"]), dt.datetime.fromisoformat(w["end"]))
            for w in found.proposed_windows
        ]
        rows.append(RepairRow(found, visit, customer, photos.get(visit.id, 0), clock, windows))
    return rows


@console.get("/inbox")
@page(*STAFF)
def inbox_page() -> str:
    """Every visit still new, self-service repair requests and pending changes, oldest first."""
    fresh = repair_requests.unacknowledged(db.session)
    recent = list(
        db.session.scalars(
            select(RepairRequest)
            .where(RepairRequest.acknowledged_at.is_not(None))
            .order_by(RepairRequest.acknowledged_at.desc())
            .limit(RECENT)
        )
    )
    changes = [
        ChangeRow(
            change,
            db.session.get(Visit, change.visit_id),  # type: ignore[arg-type]
            db.session.get(Customer, change.customer_id),  # type: ignore[arg-type]
        )
        for change in visit_changes.pending(db.session)
    ]
    return render_template(
        "console/inbox.html",
        rows=new_requests(db.session, utcnow(), local_zone()),
        fresh=_repair_rows(fresh),
        recent=_repair_rows(recent),
        changes=changes,
    )


@console.post("/inbox/repairs/<int:request_id>/acknowledge")
@page(*STAFF)
def acknowledge_repair(request_id: int) -> BaseResponse:
    """Mark a repair request as seen."""
    found = get_or_404(db.session, RepairRequest, request_id)
    repair_requests.acknowledge(db.session, found, actor_user_id=auth.current_user().id)
    db.session.commit()
    flash(gettext("Request %(id)s marked as seen.", id=found.id), "success")
    return redirect(url_for("console.inbox_page"))


@console.post("/inbox/changes/<int:change_id>/<decision>")
@page(*STAFF)
def decide_change(change_id: int, decision: str) -> BaseResponse:
    """Confirm or decline a customer's change to a visit."""
    change = get_or_404(db.session, ChangeRequest, change_id)
    actor = auth.current_user().id
    if decision == "confirm":
        visit_changes.confirm(db.session, settings(), change, actor_user_id=actor)
        message = gettext("Change %(id)s confirmed; the customer is told.", id=change.id)
    elif decision == "decline":
        note = request.form.get("note")
        visit_changes.decline(db.session, settings(), change, actor_user_id=actor, note=note)
        message = gettext("Change %(id)s declined; the customer is told.", id=change.id)
    else:
        return redirect(url_for("console.inbox_page"))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("console.inbox_page"))

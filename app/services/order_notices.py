"""The customer's messages at each step of an order, each carrying the order's progress link.

Steps: order created, stage reached, visit scheduled (with its window), visit moved to another
window, visit taken off its day or cancelled (naming the window it had), technician on the way
(with the arrival estimate), repair request received, change request decided, complaint
received and updated. The visit-done message with its rating link
is `ratings.send_link`.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from sqlalchemy.orm import Session

from app.config import Settings
from app.i18n.labels import label_id
from app.i18n.text import N_, Text
from app.models import ChangeRequest, ChangeStatus, Complaint, Order, Visit
from app.services import notices, progress_links
from app.services.notices import Notice
from app.services.visit_windows import arrival_window


def _link(session: Session, settings: Settings, order: Order | None) -> str:
    """The order's progress URL, its life extended; empty for a visit without an order."""
    if order is None:
        return ""
    link = progress_links.issue_link(session, settings, order)
    return progress_links.progress_url(settings, progress_links.token_for(settings, link))


def _tell(
    session: Session,
    settings: Settings,
    customer_id: int,
    topic: str,
    dedupe_key: str,
    texts: tuple[Text, Text],
    **params: object,
) -> None:
    """Send the customer (subject, body) once per `dedupe_key`; `params` feed template channels."""
    subject, body = texts
    notices.notify(
        session,
        settings,
        customer_id,
        Notice(topic, dedupe_key, subject, body, {k: str(v) for k, v in params.items()}),
    )


def _day_and_hours(
    session: Session, settings: Settings, customer_id: int, start: dt.datetime, end: dt.datetime
) -> str:
    """From `start` to `end` as the customer reads it, in the service time zone."""
    locale = notices.language_of(session, settings, customer_id)
    tz = ZoneInfo(settings.time_zone)
    day = format_skeleton("MMMEd", start, tzinfo=tz, locale=locale)
    return f"{day} {start.astimezone(tz):%H:%M}\u2013{end.astimezone(tz):%H:%M}"


def order_created(session: Session, settings: Settings, order: Order) -> None:
    """Welcome the customer with the link to follow their order."""
    url = _link(session, settings, order)
    product = Text(label_id("product_line", order.product_line))
    _tell(
        session,
        settings,
        order.customer_id,
        "order_created",
        f"order-created:{order.id}",
        (
            Text(N_("Follow your order")),
            Text(
                N_("Thank you for your order (%(product)s). Follow each step here: %(url)s"),
                {"product": product, "url": url},
            ),
        ),
        product=order.product_line,
        url=url,
    )


def stage_reached(session: Session, settings: Settings, order: Order, change_key: str) -> None:
    """Tell the customer their order reached a new stage."""
    url = _link(session, settings, order)
    stage = Text(label_id("order_stage", order.stage))
    product = Text(label_id("product_line", order.product_line))
    _tell(
        session,
        settings,
        order.customer_id,
        "order_stage",
        f"order-stage:{order.id}:{change_key}",
        (
            Text(N_("Your order: %(stage)s"), {"stage": stage}),
            Text(
                N_("Your %(product)s order is now at the step: %(stage)s. Details: %(url)s"),
                {"product": product, "stage": stage, "url": url},
            ),
        ),
        product=order.product_line,
        stage=order.stage,
        url=url,
    )


def visit_scheduled(session: Session, settings: Settings, visit: Visit, change_id: int) -> None:
    """Tell the customer when the visit will be, as an arrival window."""
    _window_notice(
        session,
        settings,
        visit,
        "visit_scheduled",
        f"visit-scheduled:{visit.id}:{change_id}",
        Text(N_("Your visit is booked")),
        (
            N_("Your %(kind)s visit is booked for %(when)s. Details or changes: %(url)s"),
            N_("Your %(kind)s visit is booked for %(when)s."),
        ),
    )


def visit_rescheduled(session: Session, settings: Settings, visit: Visit, version: int) -> None:
    """Tell the customer the booked visit moved, with its new arrival window."""
    _window_notice(
        session,
        settings,
        visit,
        "visit_rescheduled",
        f"visit-rescheduled:{visit.id}:{version}",
        Text(N_("Your visit has a new time")),
        (
            N_("Your %(kind)s visit is moved to %(when)s. Details or changes: %(url)s"),
            N_("Your %(kind)s visit is moved to %(when)s."),
        ),
    )


def visit_called_off(
    session: Session,
    settings: Settings,
    visit: Visit,
    version: int,
    told: tuple[dt.datetime, dt.datetime],
    *,
    cancelled: bool,
) -> None:
    """Tell the customer the visit booked for `told` will not happen then: cancelled, or to be
    given a new time (they are contacted with it; its booking message follows)."""
    if cancelled:
        topic, key = "visit_cancelled", f"visit-cancelled:{visit.id}"
        subject = Text(N_("Your visit is cancelled"))
        bodies = (
            N_("Your %(kind)s visit booked for %(when)s is cancelled. Details: %(url)s"),
            N_("Your %(kind)s visit booked for %(when)s is cancelled."),
        )
    else:
        topic, key = "visit_unscheduled", f"visit-unscheduled:{visit.id}:{version}"
        subject = Text(N_("Your visit time is off"))
        bodies = (
            N_(
                "Your %(kind)s visit booked for %(when)s will not take place then. We will "
                "contact you with a new time. Details: %(url)s"
            ),
            N_(
                "Your %(kind)s visit booked for %(when)s will not take place then. We will "
                "contact you with a new time."
            ),
        )
    _window_notice(session, settings, visit, topic, key, subject, bodies, window=told)


def _window_notice(
    session: Session,
    settings: Settings,
    visit: Visit,
    topic: str,
    dedupe_key: str,
    subject: Text,
    bodies: tuple[str, str],
    window: tuple[dt.datetime, dt.datetime] | None = None,
) -> None:
    """A message naming an arrival window, the visit's own unless `window` is given: `bodies`
    is (with the link, without one)."""
    window = window or arrival_window(visit)
    if window is None:
        return
    when = _day_and_hours(session, settings, visit.customer_id, *window)
    url = _link(session, settings, visit.order)
    kind = Text(label_id("kind", visit.kind))
    body = Text(bodies[0] if url else bodies[1], {"kind": kind, "when": when, "url": url})
    _tell(
        session,
        settings,
        visit.customer_id,
        topic,
        dedupe_key,
        (subject, body),
        kind=visit.kind,
        when=when,
        url=url,
    )


def on_the_way(
    session: Session, settings: Settings, visit: Visit, change_id: int, eta: dt.datetime | None
) -> None:
    """Tell the customer the technician has set off, and about when they arrive."""
    tz = ZoneInfo(settings.time_zone)
    about = f"{eta.astimezone(tz):%H:%M}" if eta else ""
    url = _link(session, settings, visit.order)
    body = (
        N_("Our technician is on the way and arrives about %(time)s. Follow along: %(url)s")
        if about
        else N_("Our technician is on the way. Follow along: %(url)s")
    )
    _tell(
        session,
        settings,
        visit.customer_id,
        "on_the_way",
        f"on-the-way:{visit.id}:{change_id}",
        (Text(N_("Our technician is on the way")), Text(body, {"time": about, "url": url})),
        eta=about,
        url=url,
    )


def repair_received(session: Session, settings: Settings, visit: Visit, request_id: int) -> None:
    """Confirm a self-service repair request."""
    url = _link(session, settings, visit.order)
    _tell(
        session,
        settings,
        visit.customer_id,
        "request_received",
        f"repair-received:{request_id}",
        (
            Text(N_("We received your repair request")),
            Text(
                N_(
                    "We received your repair request (number %(number)s) and will propose "
                    "a time soon. Follow it here: %(url)s"
                ),
                {"number": visit.id, "url": url},
            ),
        ),
        number=visit.id,
        url=url,
    )


def change_decided(session: Session, settings: Settings, change: ChangeRequest) -> None:
    """Tell the customer whether their change (reschedule, cancel) was made."""
    order = session.get(Order, change.order_id)
    url = _link(session, settings, order)
    confirmed = change.status == ChangeStatus.CONFIRMED
    if confirmed and change.kind == "cancel":
        body = N_("Your visit is cancelled as you asked. Details: %(url)s")
    elif confirmed:
        body = N_("Your visit was moved as you asked. Details: %(url)s")
    else:
        body = N_("We could not make the change you asked for; we will call you. Details: %(url)s")
    _tell(
        session,
        settings,
        change.customer_id,
        "change_decided",
        f"change-decided:{change.id}",
        (Text(N_("About your change request")), Text(body, {"url": url})),
        status=change.status,
        kind=change.kind,
        url=url,
    )


def complaint_update(
    session: Session, settings: Settings, complaint: Complaint, step_key: str
) -> None:
    """Tell the customer where their complaint stands."""
    stage = Text(label_id("complaint_stage", complaint.stage))
    if step_key == "opened":
        body = Text(
            N_(
                "We are sorry. We registered your complaint (number %(number)s) and will act on it."
            ),
            {"number": complaint.id},
        )
    else:
        body = Text(
            N_("Your complaint (number %(number)s) is now at the step: %(stage)s."),
            {"number": complaint.id, "stage": stage},
        )
    _tell(
        session,
        settings,
        complaint.customer_id,
        "complaint_update",
        f"complaint:{complaint.id}:{step_key}",
        (Text(N_("Your complaint")), body),
        number=complaint.id,
        stage=complaint.stage,
    )

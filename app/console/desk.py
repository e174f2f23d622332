"""The service desk pages: phone intake, customers, the inbox, complaints, churn, SLA, pipeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from app import dates
from app.api.settings import local_zone, settings
from app.api.sla import PolicySchema
from app.console import auth
from app.console.auth import STAFF, page
from app.console.views import _back, console
from app.database import db, utcnow
from app.errors import Forbidden, ValidationFailed
from app.i18n.web import label, local_datetime
from app.models import (
    PRODUCT_LINES,
    Complaint,
    ComplaintStage,
    Customer,
    CustomerTier,
    Role,
    SlaPolicy,
    Visit,
    VisitKind,
)
from app.services import (
    churn,
    complaint_workbench,
    complaints,
    customer_directory,
    inbox,
    intake,
    pipeline,
)
from app.services.records import check_version, get_or_404
from app.services.sla.clocks import RESPONSE, complaint_clock
from app.services.sla.policies import save_policy

# Record ids and counts from forms stay within the database's integers (as the URL converters do).
MAX_INT = 2**31 - 1


def _form() -> MultiDict[str, str]:
    return request.form


def _text(form: MultiDict[str, str], name: str) -> str:
    return (form.get(name) or "").strip()


def _optional_int(form: MultiDict[str, str], name: str, errors: dict[str, list[str]]) -> int | None:
    raw = _text(form, name)
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_INT:
        errors[name] = ["a whole number"]
        return None
    return value


def _optional_float(
    form: MultiDict[str, str], name: str, errors: dict[str, list[str]]
) -> float | None:
    raw = _text(form, name)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        errors[name] = ["a number"]
        return None


def _id_arg(name: str) -> int | None:
    """An id from the query string (absent: None); a bad one is refused."""
    errors: dict[str, list[str]] = {}
    value = _optional_int(request.args, name, errors)
    _refuse_form(errors)
    return value


def _refuse_form(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed(
            "some fields are not filled in correctly: %(fields)s",
            params={"fields": ", ".join(sorted(errors))},
            fields=errors,
        )


# --- a new request from a phone call -----------------------------------------------------------


@console.get("/intake")
@page(*STAFF)
def intake_page() -> str:
    """Take a call: find or create the customer, then the site, order, kind, window, priority."""
    found = None
    text = request.args.get("q", "").strip()
    if text:
        found = customer_directory.find_customers(
            db.session, customer_directory.CustomerFilter(text=text)
        )
    customer_id = _id_arg("customer_id")
    customer = get_or_404(db.session, Customer, customer_id) if customer_id else None
    return render_template(
        "console/intake.html",
        q=text,
        found=found,
        customer=customer,
        windows=intake.proposed_windows(utcnow(), local_zone()),
        kinds=list(VisitKind),
        tiers=list(CustomerTier),
        product_lines=PRODUCT_LINES,
        durations=intake.DEFAULT_DURATION_MIN,
        today=utcnow().astimezone(local_zone()).date(),
    )


@console.post("/intake")
@page(*STAFF)
def take_call() -> BaseResponse:
    """Write the request in one transaction; a refusal writes nothing and says why."""
    taken = intake.take_call(
        db.session, _phone_request(_form()), actor_user_id=auth.current_user().id
    )
    db.session.commit()
    response = next((c for c in taken.clocks if c.target == RESPONSE), None)
    message = gettext(
        "Request %(visit)s taken for %(customer)s.",
        visit=taken.visit.id,
        customer=taken.customer.name,
    )
    if response is not None:
        message += " " + gettext(
            "SLA clock started: on site by %(due)s.", due=local_datetime(response.due)
        )
    flash(message, "success")
    if response is not None and taken.visit.window_start > response.due:
        flash(
            gettext(
                "The customer's window opens after the response target: agree an earlier "
                "window or the visit will breach its SLA."
            ),
            "conflict",
        )
    return redirect(url_for("console.visit_page", visit_id=taken.visit.id))


def _phone_request(form: MultiDict[str, str]) -> intake.PhoneRequest:
    errors: dict[str, list[str]] = {}
    try:
        kind = VisitKind(_text(form, "kind"))
    except ValueError:
        errors["kind"] = ["choose measure, install or repair"]
        kind = VisitKind.REPAIR
    start, end = _window(form, errors)
    priority = _optional_int(form, "priority", errors) or 3
    customer_id = _optional_int(form, "customer_id", errors)
    new_customer = None
    if customer_id is None:
        try:
            tier = CustomerTier(_text(form, "customer_tier") or CustomerTier.STANDARD)
        except ValueError:
            errors["customer_tier"] = ["unknown tier"]
            tier = CustomerTier.STANDARD
        new_customer = intake.NewCustomer(
            name=_text(form, "customer_name")[:200],
            phone=_text(form, "customer_phone")[:40],
            tier=tier,
        )
    site_choice, order_choice = _text(form, "site_id"), _text(form, "order_id")
    site_id = _optional_int(form, "site_id", errors) if site_choice not in ("", "new") else None
    new_site = None
    if site_id is None:
        new_site = intake.NewSite(
            address=_text(form, "site_address")[:300],
            lat=_optional_float(form, "site_lat", errors),
            lon=_optional_float(form, "site_lon", errors),
        )
    order_id = _optional_int(form, "order_id", errors) if order_choice not in ("", "new") else None
    product_line = _text(form, "product_line")
    if product_line and product_line not in PRODUCT_LINES:
        errors["product_line"] = ["unknown product line"]
    _refuse_form(errors)
    return intake.PhoneRequest(
        kind=kind,
        window_start=start,
        window_end=end,
        priority=priority,
        customer_id=customer_id,
        new_customer=new_customer,
        site_id=site_id,
        new_site=new_site,
        order_id=order_id,
        product_line=product_line if order_id is None else None,
        duration_min=_optional_int(form, "duration_min", errors),
        description=_text(form, "description")[:4000] or None,
    )


def _window(
    form: MultiDict[str, str], errors: dict[str, list[str]]
) -> tuple[dt.datetime, dt.datetime]:
    """The chosen proposed window ("start/end" ISO), else the day and hours typed in."""
    tz = local_zone()
    chosen = _text(form, "window")
    try:
        if chosen and chosen != "custom":
            first, last = (dates.parse_datetime(part) for part in chosen.split("/"))
            if first.tzinfo is None or last.tzinfo is None:
                raise ValueError(chosen)
            return first, last
        day = dates.parse_date(_text(form, "window_day"))
        return (
            dt.datetime.combine(day, dt.time.fromisoformat(_text(form, "window_from")), tz),
            dt.datetime.combine(day, dt.time.fromisoformat(_text(form, "window_to")), tz),
        )
    except dates.OutsideCalendar:
        errors["window"] = [dates.MESSAGE]
    except ValueError:
        errors["window"] = ["choose a proposed window or give a day and hours"]
    now = utcnow()
    return now, now


# --- customers ---------------------------------------------------------------------------------


@console.get("/customers")
@page(*STAFF)
def customers_page() -> str:
    """Search customers by name, phone, address or order number; filter by tier and tag."""
    tier_raw = request.args.get("tier", "")
    try:
        tier = CustomerTier(tier_raw) if tier_raw else None
    except ValueError as exc:
        raise ValidationFailed("unknown tier %(tier)s", params={"tier": tier_raw}) from exc
    wanted = customer_directory.CustomerFilter(
        text=request.args.get("q", ""), tier=tier, tag=request.args.get("tag", "")
    )
    result = customer_directory.find_customers(db.session, wanted, page=_id_arg("page") or 1)
    return render_template(
        "console/customers.html",
        result=result,
        wanted=wanted,
        tiers=list(CustomerTier),
        tags=customer_directory.known_tags(db.session),
    )


# --- the inbox of new requests (the page is app.console.inbox) ---------------------------------


@console.post("/inbox/<int:visit_id>/cancel")
@page(*STAFF)
def cancel_request(visit_id: int) -> BaseResponse:
    """Cancel a new request (the caller withdrew it, or it was a duplicate)."""
    visit = get_or_404(db.session, Visit, visit_id)
    errors: dict[str, list[str]] = {}
    version = _optional_int(_form(), "version", errors)
    _refuse_form(errors)
    if version is not None:
        check_version(visit, version)
    inbox.cancel_request(db.session, visit, actor_user_id=auth.current_user().id)
    db.session.commit()
    flash(gettext("Request %(visit)s cancelled.", visit=visit.id), "success")
    return redirect(url_for("console.inbox_page"))


# --- complaints --------------------------------------------------------------------------------


@console.get("/complaints")
@page(*STAFF)
def complaints_page() -> str:
    """The workbench: open complaints by stage, soonest due first."""
    mine = request.args.get("mine") == "1"
    bench = complaint_workbench.workbench(
        db.session,
        utcnow(),
        warn_before_min=settings().sla_complaint_warn_min,
        owner_user_id=auth.current_user().id if mine else None,
    )
    return render_template("console/complaints.html", bench=bench, mine=mine)


@console.get("/complaints/<int:complaint_id>")
@page(*STAFF)
def complaint_page(complaint_id: int) -> str:
    """A complaint: its history and the form for its next stage."""
    complaint = get_or_404(db.session, Complaint, complaint_id)
    upcoming = complaints.next_stage(complaint.stage)
    owners = complaint_workbench.possible_owners(db.session)
    return render_template(
        "console/complaint.html",
        complaint=complaint,
        customer=db.session.get(Customer, complaint.customer_id),
        upcoming=upcoming,
        required=complaint_workbench.required_fields(upcoming),
        owners=owners,
        causes=complaints.CAUSE_CATEGORIES,
        clock=complaint_clock(complaint, utcnow(), settings().sla_complaint_warn_min),
        names={u.id: u.name for u in owners},
    )


@console.post("/complaints/<int:complaint_id>/advance")
@page(*STAFF)
def advance_complaint(complaint_id: int) -> BaseResponse:
    """Move a complaint to its next stage with the fields that stage demands."""
    form = _form()
    complaint = get_or_404(db.session, Complaint, complaint_id)
    errors: dict[str, list[str]] = {}
    version = _optional_int(form, "version", errors)
    try:
        to = ComplaintStage(_text(form, "to"))
    except ValueError:
        errors["to"] = ["unknown stage"]
    _refuse_form(errors)
    if version is not None:
        check_version(complaint, version)
    fields: dict[str, Any] = {
        "owner_user_id": _optional_int(form, "owner_user_id", errors),
        "cause_category": _text(form, "cause_category") or None,
        "action_taken": _text(form, "action_taken")[:4000] or None,
        "customer_answer": _text(form, "customer_answer")[:4000] or None,
    }
    _refuse_form(errors)
    complaints.advance(
        db.session,
        complaint,
        to,
        fields={k: v for k, v in fields.items() if k in complaint_workbench.required_fields(to)},
        note=_text(form, "note")[:4000] or None,
        actor_user_id=auth.current_user().id,
    )
    db.session.commit()
    flash(
        gettext(
            "Complaint %(complaint)s moved to %(stage)s.",
            complaint=complaint.id,
            stage=label("complaint_stage", to),
        ),
        "success",
    )
    return redirect(url_for("console.complaint_page", complaint_id=complaint.id))


# --- churn risk --------------------------------------------------------------------------------


@console.get("/churn")
@page(*STAFF)
def churn_page() -> str:
    """Customers at risk of leaving, with the verdicts that put them there."""
    return render_template("console/churn.html", rows=churn.at_risk(db.session, utcnow()))


@console.post("/customer-alerts/<int:alert_id>/acknowledge")
@page(*STAFF)
def acknowledge_alert(alert_id: int) -> BaseResponse:
    """Take a flagged customer in hand: the alert leaves the board."""
    alert = churn.acknowledge(db.session, alert_id, user_id=auth.current_user().id)
    db.session.commit()
    flash(gettext("Alert on %(customer)s acknowledged.", customer=alert.customer.name), "success")
    return redirect(_back())


# --- SLA policies ------------------------------------------------------------------------------


@console.get("/sla")
@page(*STAFF)
def sla_page() -> str:
    """The SLA policies; admins edit them here."""
    policies = db.session.scalars(select(SlaPolicy).order_by(SlaPolicy.id)).all()
    edit_id = _id_arg("edit")
    editing = get_or_404(db.session, SlaPolicy, edit_id) if edit_id else None
    return render_template(
        "console/sla.html",
        policies=policies,
        editing=editing,
        kinds=list(VisitKind),
        tiers=list(CustomerTier),
        can_edit=auth.current_user().role == Role.ADMIN,
    )


@console.post("/sla")
@page(*STAFF)
def save_sla_policy() -> BaseResponse:
    """Create a policy, or change one (`policy_id`); admins only."""
    if auth.current_user().role != Role.ADMIN:
        raise Forbidden("only admins change SLA policies")
    form = _form()
    errors: dict[str, list[str]] = {}
    policy_id = _optional_int(form, "policy_id", errors)
    _refuse_form(errors)
    data = _policy_data(form)
    policy = get_or_404(db.session, SlaPolicy, policy_id) if policy_id else SlaPolicy()
    save_policy(db.session, policy, data)
    db.session.commit()
    flash(gettext("SLA policy “%(name)s” saved.", name=policy.name), "success")
    return redirect(url_for("console.sla_page"))


def _policy_data(form: MultiDict[str, str]) -> dict[str, Any]:
    """The form read through the API's schema: the same rules, the same messages."""
    raw: dict[str, Any] = {
        name: _text(form, name) or None
        for name in (
            "name",
            "kind",
            "priority",
            "tier",
            "response_min",
            "resolution_min",
            "warn_before_min",
        )
    }
    raw["active"] = form.get("active") == "on"
    if raw["warn_before_min"] is None:
        raw.pop("warn_before_min")
    try:
        return PolicySchema().load(raw)
    except ma.ValidationError as exc:
        messages = exc.normalized_messages()
        raise ValidationFailed(
            "some fields are not filled in correctly: %(fields)s",
            params={"fields": ", ".join(sorted(messages))},
            fields=messages,
        ) from exc


# --- the order pipeline ------------------------------------------------------------------------


@console.get("/pipeline")
@page(*STAFF)
def pipeline_page() -> str:
    """Orders by stage: counts and how long they have waited."""
    product_line = request.args.get("product_line", "")
    if product_line and product_line not in PRODUCT_LINES:
        raise ValidationFailed(
            "unknown product line %(line)s",
            params={"line": product_line},
            fields={"product_line": list(PRODUCT_LINES)},
        )
    return render_template(
        "console/pipeline.html",
        board=pipeline.pipeline(db.session, utcnow(), product_line=product_line),
        product_line=product_line,
        product_lines=PRODUCT_LINES,
        buckets=pipeline.AGE_BUCKETS,
    )

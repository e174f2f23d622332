"""Console pages: board, optimizer runs, visit and customer detail, figures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response as BaseResponse

from app.api.auth import TooManyAttempts, throttled_authenticate
from app.api.errors import error_response
from app.api.settings import local_zone, settings
from app.config import LOCALES
from app.console import auth
from app.console.auth import STAFF, page
from app.console.charts import line_chart
from app.database import db, utcnow
from app.errors import AppError, NotAuthenticated, NotFound, ValidationFailed
from app.i18n.web import label, local_datetime, say
from app.jobs.dispatching import start_solving
from app.models import (
    Complaint,
    DispatchRun,
    LockState,
    Photo,
    PhotoBlob,
    RunStatus,
    Signature,
    Technician,
    Visit,
    VisitStatusChange,
)
from app.services import (
    article_feedback,
    articles,
    churn,
    day_start,
    headlines,
    metrics,
    photos,
    run_health,
)
from app.services.board import colours, edits, reasons, review, timeline
from app.services.board.panels import ComplaintClock
from app.services.customer_record import build_record
from app.services.dispatching.proposal import proposal_of
from app.services.dispatching.publish import publish_run as publish_proposal
from app.services.dispatching.runs import RunRequest, create_run, near_today
from app.services.records import check_version, get_or_404
from app.services.sla.alerts import open_alerts
from app.services.sla.check import run_check
from app.services.sla.clocks import visit_clocks
from app.services.sla.policies import active_policies, policy_for
from app.services.sla.progress import progress_of as reported_progress
from app.services.sla.projection import project_day
from app.services.travel import travel_model
from app.services.visit_evidence import visit_evidence

STATIC = Path(__file__).resolve().parent.parent / "static" / "console"

console = Blueprint("console", __name__, url_prefix="/console")

# Console pages load only their own script and styles and may not be framed (clickjacking).
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'"
)


def _content_policy() -> str:
    """The console's CSP; map tiles may come from the one server the operator configured."""
    origin = settings().map_tile_origin
    if origin is None:
        return CONSOLE_CSP
    return CONSOLE_CSP.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")


@console.after_app_request
def _page_security_headers(response: Response) -> Response:
    # Every answer under /console, those of no console view (an unknown path) included.
    if request.path != "/console" and not request.path.startswith("/console/"):
        return response
    response.headers.setdefault("Content-Security-Policy", _content_policy())
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@console.app_template_global("csrf_token")
def _csrf_token() -> str:
    return auth.csrf_token()


@console.app_template_global("complaint_url")
def _complaint_url(complaint: Complaint | ComplaintClock) -> str:
    """Where a complaint is read and worked: its page on the complaint workbench."""
    number = complaint.complaint_id if isinstance(complaint, ComplaintClock) else complaint.id
    return url_for("console.complaint_page", complaint_id=number)


# --- errors: the one format for scripts, a friendly message for people -----------------------


@console.errorhandler(AppError)
def _app_error(error: AppError) -> Any:
    db.session.rollback()
    if auth.wants_json():
        return error_response(error.status, error.code, say(error), error.fields, error.details)
    if request.method == "POST" and error.status not in (401, 403):
        flash(_say(error), "conflict" if error.status == 409 else "error")
        return redirect(_back())
    return render_template("console/error.html", error=error, message=say(error)), error.status


@console.errorhandler(StaleDataError)
def _stale(_error: StaleDataError) -> Any:
    return _app_error(
        AppError("someone else changed this visit meanwhile; reload and retry", code="conflict")
    )


def _say(error: AppError) -> str:
    """The error's message, naming the visits a stale proposal trips over."""
    changed = error.details.get("changed_visit_ids", []) + error.details.get(
        "deleted_visit_ids", []
    )
    if not changed:
        return say(error)
    return gettext(
        "%(message)s (visit %(visits)s).",
        message=say(error),
        visits=", ".join(f"#{v}" for v in changed),
    )


def _back() -> str:
    """Where a form asked to return to (same-site paths only), else the board."""
    target = request.form.get("next") or request.referrer or ""
    parts = urlsplit(target)
    if parts.netloc and parts.netloc != request.host:
        target = ""
    if parts.netloc:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
    if not target.startswith("/") or target.startswith("//"):
        return url_for("console.board_page")
    return target


# --- sign-in ---------------------------------------------------------------------------------


@console.route("/login", methods=["GET", "POST"])
@auth.anonymous
def login() -> Any:
    """Sign in with email and password."""
    error = None
    if request.method == "POST":
        auth.check_csrf()
        try:
            user = throttled_authenticate(
                request.form.get("email", ""), request.form.get("password", "")
            )
        except TooManyAttempts as refused:
            response = make_response(
                render_template("console/login.html", error="Too many failed sign-ins."), 429
            )
            response.headers["Retry-After"] = str(refused.retry_after_s)
            return response
        except NotAuthenticated:
            error = gettext("Wrong email or password.")
        else:
            db.session.commit()  # keeps a password hash redone at today's cost
            if user.role not in STAFF:
                error = gettext("The console is for dispatchers and admins.")
            else:
                auth.sign_in(user)
                return redirect(_safe_next(request.args.get("next")))
    return render_template("console/login.html", error=error), 401 if error else 200


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return url_for("console.board_page")


@console.post("/logout")
@auth.anonymous
def logout() -> BaseResponse:
    """Sign out."""
    auth.check_csrf()
    auth.sign_out()
    db.session.commit()
    return redirect(url_for("console.login"))


@console.post("/language")
@page(*STAFF)
def set_language() -> BaseResponse:
    """Choose the console's language for this user (empty: follow the browser)."""
    chosen = request.form.get("language", "")
    if chosen and chosen not in LOCALES:
        raise ValidationFailed(
            "choose one of the offered languages", fields={"language": list(LOCALES)}
        )
    user = auth.current_user()
    user.language = chosen or None
    db.session.commit()
    return redirect(_back())


@console.get("/static/<path:filename>")
@auth.anonymous
def static_file(filename: str) -> Response:
    """The console's stylesheet and script (served here: the machines have no internet)."""
    return send_from_directory(STATIC, filename, max_age=300)


@console.get("/")
@page(*STAFF)
def home() -> BaseResponse:
    return redirect(url_for("console.board_page"))


# --- the board -------------------------------------------------------------------------------


def _today() -> dt.date:
    return utcnow().astimezone(local_zone()).date()


# Every plan and history the console shows lies nearer today than this; farther days are a
# typing slip, and the arithmetic around a day (its week, the hours of its board) could leave
# the calendar.
DAY_REACH = dt.timedelta(days=3653)


def _near_day(day: dt.date, field: str) -> dt.date:
    """`day`, refused (422) when it is more than ten years from today."""
    if abs(day - _today()) > DAY_REACH:
        raise ValidationFailed(
            "%(day)s is more than ten years from today",
            params={"day": day.isoformat()},
            fields={field: ["more than ten years from today"]},
        )
    return day


def _day_arg(name: str = "day") -> dt.date:
    raw = request.args.get(name)
    if not raw:
        return _today()
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed(
            "%(value)r is not a date (YYYY-MM-DD)", params={"value": raw}, fields={name: ["date"]}
        ) from exc
    return _near_day(day, name)


@console.get("/board")
@page(*STAFF)
def board_page() -> str:
    """The day's board: a timeline per technician, the unassigned visits, the map."""
    day = _day_arg()
    now = utcnow()
    current = settings()
    if current.jobs_inline:
        # Without a scheduler, opening the board is what keeps the SLA clocks acting.
        try:
            run_check(db.session, current, now)
            db.session.commit()
        except IntegrityError:
            # Another dispatcher's page raised the same alert a moment ago: theirs stands.
            db.session.rollback()
    view = timeline.build_board(
        db.session,
        day,
        local_zone(),
        now,
        travel=travel_model(current),
        complaint_warn_min=current.sla_complaint_warn_min,
        tile_url=current.map_tile_url,
    )
    runs = db.session.scalars(select(DispatchRun).order_by(DispatchRun.id.desc()).limit(5)).all()
    return render_template(
        "console/board.html",
        board=view,
        runs=runs,
        prev_day=day - dt.timedelta(days=1),
        next_day=day + dt.timedelta(days=1),
        today=_today(),
        default_limit=current.console_run_seconds,
        day_start_hour=current.day_start_hour,
        customer_alerts=churn.open_alerts(db.session),
    )


@console.post("/dispatch-today")
@page(*STAFF)
def dispatch_today() -> Any:
    """Start the day: today's scheduled visits become dispatched (technicians can set off)."""
    tz = local_zone()
    started = day_start.start_day(
        db.session,
        _today(),
        tz,
        actor_user_id=auth.current_user().id,
        source="dispatcher",
    )
    db.session.commit()
    count = len(started.dispatched_visit_ids)
    message = (
        f"Day started: {count} visit(s) of {started.day:%a %d %b} dispatched to the technicians."
        if count
        else f"Nothing to dispatch: every published visit of {started.day:%a %d %b} already is."
    )
    flash(message, "success")
    if auth.wants_json():
        return jsonify(
            day=started.day.isoformat(), dispatched_visit_ids=list(started.dispatched_visit_ids)
        )
    return redirect(url_for("console.board_page", day=started.day))


# --- optimizer runs --------------------------------------------------------------------------


def _start_run(params: RunRequest) -> DispatchRun:
    run = create_run(db.session, params, user_id=auth.current_user().id)
    db.session.commit()
    start_solving(settings(), run.id)
    return run


@console.post("/runs")
@page(*STAFF)
def start_run() -> Any:
    """Start an optimizer run for a day."""
    form = request.get_json(silent=True) if request.is_json else request.form
    if not isinstance(form, dict):
        form = {}  # a JSON body other than an object names no day: refused below
    try:
        day = form.get("day")
        first_day = dt.date.fromisoformat(day if isinstance(day, str) else "")
    except ValueError as exc:
        raise ValidationFailed("choose the day to plan", fields={"day": ["date"]}) from exc
    if not near_today(first_day, _today()):
        raise ValidationFailed(
            "plan a day within a year of today", fields={"day": ["more than a year from today"]}
        )
    try:
        limit = float(str(form.get("time_limit_s") or settings().console_run_seconds))
    except ValueError as exc:
        raise ValidationFailed(
            "the time limit is in seconds", fields={"time_limit_s": ["number"]}
        ) from exc
    if not 1 <= limit <= 600:
        raise ValidationFailed(
            "the time limit is 1 to 600 seconds", fields={"time_limit_s": ["1..600"]}
        )
    run = _start_run(RunRequest(first_day=first_day, time_limit_s=limit))
    if auth.wants_json():
        return jsonify(id=run.id, url=url_for("console.run_page", run_id=run.id)), 202
    return redirect(url_for("console.run_page", run_id=run.id))


def progress_of(run: DispatchRun) -> dict[str, Any]:
    """What the progress bar shows (the solver's raw objective stays out of it)."""
    now = utcnow()
    elapsed = None
    if run.started_at is not None:
        elapsed = round(((run.finished_at or now) - run.started_at).total_seconds(), 1)
    beat_age = None
    if run.heartbeat_at is not None and run.status == RunStatus.RUNNING:
        beat_age = max(0, round((now - run.heartbeat_at).total_seconds()))
    limit = float(run.params.get("time_limit_s", 10))
    return {
        "id": run.id,
        "status": str(run.status),
        "status_label": label("run_status", run.status),
        "phase": run.phase,
        "phase_label": label("run_phase", run.phase) if run.phase else "-",
        "solutions_found": run.solutions_found,
        "zones": [
            {
                "zone": z.zone,
                "technicians": z.technicians,
                "visits": z.visits,
                "phase": z.phase,
                "best_cost": z.best_cost,
                "placed": z.placed,
            }
            for z in run.zones
        ],
        "heartbeat_age_s": beat_age,
        "elapsed_s": elapsed,
        "time_limit_s": limit,
        "percent": 100 if run.finished_at else round(min(99, (elapsed or 0) / limit * 100)),
        "done": run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.PUBLISHED),
        "error": run.error,
    }


@console.get("/runs/<int:run_id>/progress")
@page(*STAFF)
def run_progress(run_id: int) -> Response:
    """A run's progress as JSON (polled by the progress bar); a dead run is failed here."""
    return jsonify(progress_of(_checked_run(run_id)))


def _checked_run(run_id: int) -> DispatchRun:
    """The run, failed on the spot if it is running but its solving process stopped beating."""
    run = get_or_404(db.session, DispatchRun, run_id)
    if run.status == RunStatus.RUNNING:
        stale = run_health.fail_stale_runs(
            db.session, utcnow(), stale_after_s=settings().run_stale_after_s, run_ids=(run.id,)
        )
        db.session.commit()
        if stale:
            db.session.refresh(run)
    return run


@console.get("/runs/<int:run_id>")
@page(*STAFF)
def run_page(run_id: int) -> str:
    """A run: its progress while it runs, then its proposal beside the published plan."""
    run = _checked_run(run_id)
    day = dt.date.fromisoformat(run.params["first_day"])
    context: dict[str, Any] = {
        "run": run,
        "day": day,
        "progress": progress_of(run),
        "poll_ms": settings().console_progress_poll_ms,
    }
    proposal = proposal_of(run)
    if proposal is not None:
        tz, now, travel = local_zone(), utcnow(), travel_model(settings())
        published = timeline.build_board(db.session, day, tz, now, travel=travel)
        context.update(
            published=published,
            proposed=timeline.build_board(
                db.session,
                day,
                tz,
                now,
                travel=travel,
                plan=review.proposed_plan(proposal, day, local_zone()),
                waiting_reasons=reasons.proposal_reasons(proposal),
                changes=review.change_marks(proposal),
                # Row for row beside the published board.
                row_order=[r.technician_id for r in published.rows],
            ),
            kpis=review.kpi_rows(proposal),
            diff=review.diff_entries(db.session, proposal, tz),
            assignments={a.visit_id: a for a in proposal.assignments},
        )
    return render_template("console/run.html", **context)


@console.post("/runs/<int:run_id>/publish")
@page(*STAFF)
def publish_run(run_id: int) -> BaseResponse:
    """Publish a proposal (refused when any of its visits changed since the run read them)."""
    run = get_or_404(db.session, DispatchRun, run_id)
    result = publish_proposal(db.session, run, user_id=auth.current_user().id, tz=local_zone())
    db.session.commit()
    message = gettext(
        "Published run %(run)s: %(updated)s visit(s) updated.",
        run=run.id,
        updated=len(result.updated),
    )
    if result.unscheduled:
        message += " " + gettext("%(count)s unscheduled.", count=len(result.unscheduled))
    if result.kept:
        message += " " + gettext("%(count)s kept as before.", count=len(result.kept))
    flash(message, "success")
    return redirect(url_for("console.board_page", day=run.params["first_day"]))


@console.post("/runs/<int:run_id>/rerun")
@page(*STAFF)
def rerun(run_id: int) -> BaseResponse:
    """Run the optimizer again with the same request (after edits made a proposal stale)."""
    run = get_or_404(db.session, DispatchRun, run_id)
    again = _start_run(RunRequest.from_params(run.params))
    return redirect(url_for("console.run_page", run_id=again.id))


@console.post("/runs/<int:run_id>/retry")
@page(*STAFF)
def retry_run(run_id: int) -> BaseResponse:
    """Retry a failed run: the same request solved again (refused unless the run failed)."""
    run = get_or_404(db.session, DispatchRun, run_id)
    again = run_health.retry_run(db.session, run, user_id=auth.current_user().id)
    db.session.commit()
    start_solving(settings(), again.id)
    flash(f"Run {run.id} failed; retrying it as run {again.id}.", "success")
    return redirect(url_for("console.run_page", run_id=again.id))


# --- visits ----------------------------------------------------------------------------------


def _visit_for_edit(visit_id: int) -> Visit:
    visit = get_or_404(db.session, Visit, visit_id)
    raw = (request.form.get("version") or "").strip()
    if raw:
        try:
            expected = int(raw)
        except ValueError as exc:
            raise ValidationFailed(
                "reload the page and try again", fields={"version": ["a whole number"]}
            ) from exc
        check_version(visit, expected)
    return visit


@console.get("/visits/<int:visit_id>")
@page(*STAFF)
def visit_page(visit_id: int) -> str:
    """A visit: its facts, SLA clocks, evidence, history, lock and move forms."""
    visit = get_or_404(db.session, Visit, visit_id)
    now, tz = utcnow(), local_zone()
    policy = policy_for(
        active_policies(db.session), visit.kind, visit.priority, visit.customer.tier
    )
    day = (visit.planned_start or visit.window_start or now).astimezone(tz).date()
    projection = (
        project_day(db.session, day, tz, now, travel_model(settings())).get(visit.id)
        if day == _today()
        else None
    )
    clocks = visit_clocks(
        visit,
        policy,
        now,
        progress=reported_progress(db.session, [visit.id]).get(visit.id),
        projection=projection,
    )
    history = db.session.scalars(
        select(VisitStatusChange)
        .where(VisitStatusChange.visit_id == visit.id)
        .order_by(VisitStatusChange.id)
    ).all()
    technicians = db.session.scalars(
        select(Technician).where(Technician.active.is_(True)).order_by(Technician.name)
    ).all()
    needs = {vs.skill.code: vs.min_level for vs in visit.required_skills}
    qualified = [
        t for t in technicians if all(t.skill_levels().get(c, 0) >= lv for c, lv in needs.items())
    ]
    start = (visit.planned_start or visit.window_start or now).astimezone(tz)
    return render_template(
        "console/visit.html",
        visit=visit,
        fault_causes=articles.fault_cause_links(db.session, visit),
        policy=policy,
        clocks=clocks,
        projection=projection,
        alerts=open_alerts(db.session, "visit", [visit.id]).get(visit.id, []),
        history=history,
        evidence=visit_evidence(db.session, visit),
        qualified=qualified,
        others=[t for t in technicians if t not in qualified],
        board_day=day,
        move_date=start.date().isoformat(),
        move_time=start.strftime("%H:%M"),
        locks=list(LockState)[:-1],
        next_url=request.args.get("next") or request.full_path.rstrip("?"),
    )


@console.post("/visits/<int:visit_id>/lock")
@page(*STAFF)
def lock_visit(visit_id: int) -> BaseResponse:
    """Lock a visit to its technician, its time, both, or unlock it."""
    visit = _visit_for_edit(visit_id)
    try:
        lock = LockState(request.form.get("lock", ""))
    except ValueError as exc:
        raise ValidationFailed("choose a lock", fields={"lock": ["unknown lock"]}) from exc
    technician_id, start = request.form.get("technician_id"), request.form.get("planned_start")
    if technician_id and start:
        # Locking a proposed placement: the visit takes that technician and time, then the lock.
        try:
            technician, at = int(technician_id), dt.datetime.fromisoformat(start)
        except ValueError as exc:
            raise ValidationFailed("choose a technician, a day and a time") from exc
        _near_day(at.date(), "planned_start")
        edits.move_visit(
            db.session,
            visit,
            technician,
            at if at.tzinfo is not None else at.replace(tzinfo=local_zone()),
            tz=local_zone(),
            actor_user_id=auth.current_user().id,
            now=utcnow(),
            lock=lock,
        )
    else:
        edits.set_lock(db.session, visit, lock)
    db.session.commit()
    if lock == LockState.NONE:
        flash(gettext("Visit %(visit)s unlocked.", visit=visit.id), "success")
    else:
        flash(
            gettext("Visit %(visit)s locked: %(lock)s.", visit=visit.id, lock=label("lock", lock)),
            "success",
        )
    return redirect(_back())


@console.post("/visits/<int:visit_id>/move")
@page(*STAFF)
def move_visit(visit_id: int) -> Any:
    """Move a visit to a technician and time; refused with the reason when it does not fit."""
    visit = _visit_for_edit(visit_id)
    form = request.form
    try:
        technician_id = int(form.get("technician_id", ""))
        day = dt.date.fromisoformat(form.get("date", ""))
        at = dt.time.fromisoformat(form.get("time", ""))
    except ValueError as exc:
        raise ValidationFailed("choose a technician, a day and a time") from exc
    start = dt.datetime.combine(_near_day(day, "date"), at, tzinfo=local_zone())
    edits.move_visit(
        db.session,
        visit,
        technician_id,
        start,
        tz=local_zone(),
        actor_user_id=auth.current_user().id,
        now=utcnow(),
    )
    db.session.commit()
    message = gettext(
        "Visit %(visit)s moved to %(technician)s at %(at)s.",
        visit=visit.id,
        technician=visit.technician.name,
        at=local_datetime(start),
    )
    flash(message, "success")
    if auth.wants_json():
        return jsonify(visit_id=visit.id, technician_id=technician_id, message=message)
    return redirect(_back())


# --- customers -------------------------------------------------------------------------------


@console.get("/customers/<int:customer_id>")
@page(*STAFF)
def customer_page(customer_id: int) -> str:
    """The customer's record: visits with photos and signatures, ratings, complaints."""
    return render_template("console/customer.html", record=build_record(db.session, customer_id))


@console.get("/photos/<photo_id>/thumbnail")
@page(*STAFF)
def photo_thumbnail(photo_id: str) -> Response:
    """A photo's thumbnail (visit page and customer record)."""
    from app.api.photos import thumbnail_response

    return thumbnail_response(_photo_blob(photo_id))


@console.get("/photos/<photo_id>")
@page(*STAFF)
def photo_content(photo_id: str) -> Response:
    """A photo at full size, as the technician uploaded it."""
    from app.api.photos import content_response

    return content_response(_photo_blob(photo_id))


@console.get("/signatures/<signature_id>")
@page(*STAFF)
def signature_image(signature_id: str) -> Response:
    """The image of a customer's signature."""
    from app.api.photos import content_response

    signature = get_or_404(db.session, Signature, signature_id)
    blob = dict(photos.signature_blobs(db.session, [signature.visit_id])).get(signature)
    if blob is None:
        raise NotFound(
            "the image of signature %(signature)s has not arrived yet",
            params={"signature": signature_id},
        )
    return content_response(blob)


def _photo_blob(photo_id: str) -> PhotoBlob:
    photo = get_or_404(db.session, Photo, photo_id)
    blob = photos.photo_view(db.session, photo).blob
    if blob is None:
        raise NotFound(
            "the bytes of photo %(photo)s have not arrived yet", params={"photo": photo_id}
        )
    return blob


# --- figures ---------------------------------------------------------------------------------


def _figure_args() -> tuple[str, dt.date, dt.date]:
    by = request.args.get("by") or metrics.ALL
    first, last = metrics.default_period(_today())
    if request.args.get("from"):
        first = _day_arg("from")
    if request.args.get("to"):
        last = _day_arg("to")
    return by, first, last


@console.get("/metrics")
@page(*STAFF)
def metrics_page() -> str:
    """The satisfaction figures as SVG charts, sliced as asked, with CSV downloads."""
    by, first, last = _figure_args()
    series = [
        metrics.compute(db.session, name, by=by, first_day=first, last_day=last, tz=local_zone())
        for name in metrics.METRICS
    ]
    since = dt.datetime.combine(first, dt.time.min, tzinfo=local_zone())
    slice_colours = colours.slice_colours(db.session, by)
    return render_template(
        "console/metrics.html",
        tiles=headlines.headline(db.session, _today(), local_zone()),
        articles=article_feedback.figures(db.session, since=since),
        charts=[(s, line_chart(s, slice_colours)) for s in series],
        by=by,
        slices=metrics.SLICES,
        first=first,
        last=last,
    )


@console.get("/metrics/<metric>.csv")
@page(*STAFF)
def metric_csv(metric: str) -> Response:
    """One figure as CSV (week, slice, value, n)."""
    by, first, last = _figure_args()
    series = metrics.compute(
        db.session, metric, by=by, first_day=first, last_day=last, tz=local_zone()
    )
    return Response(
        series.to_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{metric}-{by}-{first}-{last}.csv"'},
    )

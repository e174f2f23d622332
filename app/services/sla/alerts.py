"""SLA alerts: who is told about a breach, and the alerts raised on visits and complaints."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.i18n.catalog import render
from app.i18n.text import N_, Text
from app.models import Role, SlaAlert, User
from app.services.outbox import Draft, queue_message


def alert_recipients(session: Session, settings: Settings) -> list[str]:
    """Who is told about breaches: the configured address, else active dispatchers (or admins)."""
    if settings.sla_alert_email:
        return [settings.sla_alert_email]
    for role in (Role.DISPATCHER, Role.ADMIN):
        emails = list(
            session.scalars(
                select(User.email).where(User.role == role, User.active.is_(True)).order_by(User.id)
            )
        )
        if emails:
            return emails
    return []


def escalate(session: Session, settings: Settings, alert: SlaAlert, text: Text) -> None:
    languages = dict(session.execute(select(User.email, User.language)).all())
    for recipient in alert_recipients(session, settings):
        locale = languages.get(recipient) or settings.default_locale
        subject = Text(
            N_("SLA breached: %(subject)s %(id)s"),
            {"subject": Text(_SUBJECTS.get(alert.subject, alert.subject)), "id": alert.subject_id},
        )
        queue_message(
            session,
            settings,
            Draft(
                dedupe_key=f"sla:{alert.subject}:{alert.subject_id}:{alert.target}:"
                f"{alert.level}:{recipient}"[:120],
                topic="sla_breach",
                channel="email",
                recipient=recipient,
                subject=render(subject, locale),
                body=render(text, locale),
            ),
        )


_SUBJECTS = {"visit": N_("visit"), "complaint": N_("complaint")}


def open_alerts(session: Session, subject: str, ids: Iterable[int]) -> dict[int, list[SlaAlert]]:
    """Alerts raised on these visits or complaints, newest first."""
    ids = list(ids)
    if not ids:
        return {}
    rows = session.scalars(
        select(SlaAlert)
        .where(SlaAlert.subject == subject, SlaAlert.subject_id.in_(ids))
        .order_by(SlaAlert.id.desc())
    )
    found: dict[int, list[SlaAlert]] = {}
    for alert in rows:
        found.setdefault(alert.subject_id, []).append(alert)
    return found

"""Opening a customer link token: one rule for every kind of link."""

from __future__ import annotations

import datetime as dt

from app import models
from app.database import db, utcnow
from app.services import link_tokens, progress_links, ratings
from app.services.link_tokens import LinkState, open_link


def _progress_link(settings, order) -> models.ProgressLink:
    link = progress_links.issue_link(db.session, settings, db.session.get(models.Order, order.id))
    db.session.commit()
    return link


def _open(settings, raw: str, now: dt.datetime | None = None):
    return open_link(
        db.session, settings, progress_links.PURPOSE, models.ProgressLink, raw, now or utcnow()
    )


def test_a_genuine_token_opens_its_link_and_records_the_first_opening_once(
    session, settings, order
):
    link = _progress_link(settings, order)
    token = progress_links.token_for(settings, link)
    first = _open(settings, token)
    opened_at = link.first_opened_at
    again = _open(settings, token, utcnow() + dt.timedelta(hours=1))
    assert (first.state, first.link) == (LinkState.OPEN, link)
    assert again.state == LinkState.OPEN
    assert opened_at is not None
    assert link.first_opened_at == opened_at


def test_forged_unknown_malformed_and_other_purpose_tokens_lead_nowhere_alike(
    session, settings, order
):
    link = _progress_link(settings, order)
    forged = f"{link.nonce}.{'A' * 22}"
    unknown = link_tokens.token(settings, progress_links.PURPOSE, "nonexistentnonce")
    other_purpose = link_tokens.token(settings, ratings.PURPOSE, link.nonce)
    for raw in (forged, unknown, other_purpose, "", "no-dot", "é.é"):
        assert _open(settings, raw) == link_tokens.Opened(LinkState.INVALID)
    assert link.first_opened_at is None


def test_an_expired_token_is_expired_with_its_link_and_not_recorded_as_opened(
    session, settings, order
):
    link = _progress_link(settings, order)
    later = link.expires_at + dt.timedelta(seconds=1)
    opened = _open(settings, progress_links.token_for(settings, link), later)
    assert (opened.state, opened.link) == (LinkState.EXPIRED, link)
    assert link.first_opened_at is None


def test_an_expired_link_is_gone_and_any_other_refusal_is_not_found():
    assert link_tokens.refusal_status(LinkState.EXPIRED) == 410
    assert link_tokens.refusal_status(LinkState.INVALID) == 404

"""The progress page /p/<token>: steps with dates, next visit, ETA, past visits, changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import models
from app.database import db
from app.services import link_tokens, progress_links, ratings
from app.services.orders import set_order_stage
from tests import factories


def test_the_page_speaks_chinese_by_default_and_english_on_request(client, order, progress_token):
    token = progress_token(order)
    chinese = client.get(f"/p/{token}", headers={"Accept-Language": "zh-CN"})
    assert chinese.status_code == 200
    assert 'lang="zh-CN"' in chinese.text
    assert "设计" in chinese.text
    english = client.get(f"/p/{token}?lang=en")
    assert 'lang="en"' in english.text
    assert "Design" in english.text
    assert "<script" not in english.text


def test_steps_show_where_the_order_stands_with_dates(client, order, progress_token, session):
    set_order_stage(
        db.session,
        db.session.get(models.Order, order.id),
        models.OrderStage.CONFIRMED,
        actor_user_id=None,
    )
    db.session.commit()
    html = client.get(f"/p/{progress_token(order)}?lang=en").text
    assert 'class="done" data-step="measure"' in html
    assert 'class="done" data-step="design"' in html
    assert 'class="current" data-step="production"' in html
    assert 'class="upcoming" data-step="install"' in html
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    # The production step is dated by the day the order was confirmed (service time zone).
    assert f"{today:%b} {today.day}" in html.split('data-step="production"')[1].split("</li>")[0]


def test_the_next_visit_shows_its_window_and_technician_by_surname_in_chinese(
    client, order, progress_token, booked_visit
):
    html = client.get(f"/p/{progress_token(order)}?lang=zh-CN").text
    assert 'id="technician">王师傅<' in html
    assert "09:00\u201312:00" in html


def test_the_next_visit_names_the_technician_by_given_name_in_english(
    client, order, progress_token, booked_visit
):
    html = client.get(f"/p/{progress_token(order)}?lang=en").text
    assert 'id="technician">伟<' in html


def test_on_the_day_a_technician_on_the_way_shows_the_arrival_estimate(
    client, order, progress_token, on_the_way, settings
):
    from app.services.travel import travel_model

    html = client.get(f"/p/{progress_token(order)}?lang=en").text
    assert "On the way — arrives about" in html
    # Set off five minutes ago from home; the drive is the one travel model's.
    drive = travel_model(settings).minutes((31.2304, 121.4737), (31.2754, 121.4737))
    change = db.session.scalar(
        select(models.VisitStatusChange).where(models.VisitStatusChange.visit_id == on_the_way.id)
    )
    expected = max(dt.datetime.now(dt.UTC), change.at + dt.timedelta(minutes=drive))
    shown = html.split("arrives about ")[1][:5]
    local = expected.astimezone(ZoneInfo("Asia/Shanghai"))
    candidates = {f"{(local + dt.timedelta(minutes=d)):%H:%M}" for d in (-1, 0, 1)}
    assert shown in candidates


def test_past_visits_show_completion_photos_and_the_rating_link(
    client, order, progress_token, finished_install, settings
):
    token = progress_token(order)
    html = client.get(f"/p/{token}?lang=en").text
    link = db.session.scalar(select(models.RatingLink))
    assert f"/r/{ratings.token_for(settings, link)}" in html
    photo_url = f"/p/{token}/photos/5f0c8b8e-0000-4000-8000-000000000001"
    assert photo_url in html
    image = client.get(photo_url)
    assert image.status_code == 200
    assert image.mimetype == "image/jpeg"


def test_a_photo_of_another_order_is_not_reachable(client, order, progress_token, finished_install):
    other = factories.OrderFactory(reference="KC-OTHER")
    response = client.get(f"/p/{progress_token(other)}/photos/5f0c8b8e-0000-4000-8000-000000000001")
    assert response.status_code == 404


def test_forged_unknown_and_rating_tokens_are_refused_alike(
    client, order, progress_token, finished_install, settings
):
    token = progress_token(order)
    nonce = token.split(".")[0]
    forged = f"{nonce}.{'A' * 22}"
    unknown = link_tokens.token(settings, progress_links.PURPOSE, "nonexistentnonce")
    rating = ratings.token_for(settings, db.session.scalar(select(models.RatingLink)))
    tokens = (forged, unknown, rating)
    pages = [client.get(f"/p/{t}?lang=en") for t in tokens]
    assert [p.status_code for p in pages] == [404, 404, 404]
    # The same page, but for the language switch link back to the address itself.
    assert len({p.text.replace(t, "<token>") for p, t in zip(pages, tokens, strict=True)}) == 1
    assert "KC-2026-0001" not in pages[0].text


def test_an_expired_link_is_refused_with_its_own_notice(client, order, progress_token, session):
    token = progress_token(order)
    link = db.session.scalar(select(models.ProgressLink))
    link.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db.session.commit()
    response = client.get(f"/p/{token}?lang=en")
    assert response.status_code == 410
    assert "expired" in response.text
    post = client.post(f"/p/{token}/changes", data={"visit": "1", "kind": "cancel"})
    assert post.status_code == 410


def test_each_send_pushes_the_expiry_forward(session, order, settings):
    first = progress_links.issue_link(db.session, settings, db.session.get(models.Order, order.id))
    first.expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    again = progress_links.issue_link(db.session, settings, db.session.get(models.Order, order.id))
    assert again.id == first.id
    assert again.expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(
        days=settings.progress_link_ttl_days - 1
    )


def test_the_customer_asks_to_move_the_visit_to_an_offered_window(
    client, order, progress_token, booked_visit
):
    token = progress_token(order)
    html = client.get(f"/p/{token}?lang=en").text
    key = html.split('name="window" value="')[1].split('"')[0]
    response = client.post(
        f"/p/{token}/changes", data={"visit": booked_visit.id, "kind": "reschedule", "window": key}
    )
    assert response.status_code == 303
    change = db.session.scalar(select(models.ChangeRequest))
    assert (change.kind, change.status, change.visit_id) == (
        "reschedule",
        "pending",
        booked_visit.id,
    )
    assert "we will confirm soon" in client.get(response.headers["Location"]).text


def test_a_window_that_was_not_offered_is_refused(client, order, progress_token, booked_visit):
    response = client.post(
        f"/p/{progress_token(order)}/changes?lang=en",
        data={"visit": booked_visit.id, "kind": "reschedule", "window": "20200101T0100"},
    )
    assert response.status_code == 422
    assert "Please pick one of the offered times." in response.text
    assert db.session.scalar(select(models.ChangeRequest)) is None


def test_a_token_cannot_change_a_visit_of_another_order(
    client, order, progress_token, booked_visit
):
    other = factories.OrderFactory(reference="KC-OTHER")
    response = client.post(
        f"/p/{progress_token(other)}/changes",
        data={"visit": booked_visit.id, "kind": "cancel"},
    )
    assert response.status_code == 422
    assert db.session.scalar(select(models.ChangeRequest)) is None


def test_the_customer_asks_to_cancel_the_visit(client, order, progress_token, booked_visit):
    response = client.post(
        f"/p/{progress_token(order)}/changes",
        data={"visit": booked_visit.id, "kind": "cancel", "reason": "出差"},
    )
    assert response.status_code == 303
    change = db.session.scalar(select(models.ChangeRequest))
    assert (change.kind, change.reason) == ("cancel", "出差")


def test_the_customer_chooses_english_and_stops_messages(client, order, progress_token):
    response = client.post(
        f"/p/{progress_token(order)}/preferences", data={"language": "en", "messages": "off"}
    )
    assert response.status_code == 303
    chosen = db.session.get(models.CustomerPreference, order.customer_id)
    assert (chosen.language, chosen.opted_out) == ("en", True)


def test_page_views_are_rate_limited_per_client_address(client, order, progress_token, app):
    token = progress_token(order)
    limit = app.extensions["settings"].rating_rate_limit_per_min
    answers = [client.get(f"/p/{token}").status_code for _ in range(limit + 1)]
    assert answers[:limit] == [200] * limit
    assert answers[-1] == 429


def test_the_arrival_estimate_is_rounded_to_the_nearest_minute_not_cut(order, on_the_way, settings):
    """Asked at hh:mm:45, after the exact drive would end: the estimate is the next minute."""
    from app.services.eta import arrival_estimate
    from app.services.travel import travel_model

    drive = travel_model(settings).minutes((31.2304, 121.4737), (31.2754, 121.4737))
    set_off = db.session.scalar(
        select(models.VisitStatusChange.at).where(
            models.VisitStatusChange.visit_id == on_the_way.id,
            models.VisitStatusChange.to_status == models.VisitStatus.EN_ROUTE,
        )
    )
    now = (set_off + dt.timedelta(minutes=drive + 1)).replace(second=45, microsecond=0)
    visit = db.session.get(models.Visit, on_the_way.id)
    assert arrival_estimate(db.session, settings, visit, now) == now + dt.timedelta(seconds=15)

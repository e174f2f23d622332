"""The public rating pages: bilingual, no JavaScript, friendly about bad links, rate-limited."""

from __future__ import annotations

import datetime as dt
import hashlib

from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import select

from app import models
from app.services import rate_limit
from tests.factories import PhotoFactory, image_bytes


def test_the_rating_page_speaks_chinese_to_a_chinese_browser(
    client, completed_install, rating_token
):
    response = client.get(
        f"/r/{rating_token(completed_install)}", headers={"Accept-Language": "zh-CN,zh;q=0.9"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "您对本次服务满意吗" in page
    assert "安装" in page


def test_the_rating_page_speaks_english_to_an_english_browser_and_switches_on_request(
    client, completed_install, rating_token
):
    url = f"/r/{rating_token(completed_install)}"
    english = client.get(url).get_data(as_text=True)
    assert "How satisfied are you with this visit?" in english
    assert f'href="{url}?lang=zh-CN"' in english
    assert "您对本次服务满意吗" in client.get(f"{url}?lang=zh").get_data(as_text=True)


def test_the_rating_page_shows_the_visit_and_asks_csat_nps_and_a_comment(
    client, completed_install, rating_token, technician, session
):
    page = client.get(f"/r/{rating_token(completed_install)}").get_data(as_text=True)
    assert "Installation" in page
    assert completed_install.status_changed_at.astimezone(dt.UTC).strftime("%Y") in page
    assert technician.name.split()[-1] in page
    assert technician.name not in page
    assert page.count('name="csat"') == 5
    assert page.count('name="nps"') == 11
    assert 'name="comment"' in page
    assert "<script" not in page


def test_the_rating_page_shows_the_after_photos(
    client, completed_install, rating_token, upload, session, technician
):
    data = image_bytes(color=(10, 200, 10))
    upload(data)
    photo = PhotoFactory(  # attached by the technician who uploaded the bytes
        visit_id=completed_install.id,
        kind=models.PhotoKind.AFTER,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_user_id=technician.user_id,
    )
    token = rating_token(completed_install)
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert f'src="/r/{token}/photos/{photo.id}"' in page
    image = client.get(f"/r/{token}/photos/{photo.id}")
    assert (image.status_code, image.mimetype) == (200, "image/jpeg")


def test_a_before_photo_is_not_served_through_the_rating_link(
    client, completed_install, rating_token, session
):
    before = session.scalar(
        select(models.Photo).where(
            models.Photo.visit_id == completed_install.id, models.Photo.kind == "before"
        )
    )
    response = client.get(f"/r/{rating_token(completed_install)}/photos/{before.id}")
    assert response.status_code == 404


def test_submitting_the_form_records_the_verdict_and_thanks_the_customer(
    client, completed_install, rating_token, session
):
    response = client.post(
        f"/r/{rating_token(completed_install)}",
        data={"csat": "5", "nps": "9", "comment": "Neat work", "lang": "en"},
    )
    assert response.status_code == 200
    assert "Thank you!" in response.get_data(as_text=True)
    rating = session.scalar(select(models.Rating))
    assert (rating.csat, rating.nps, rating.comment, rating.language) == (5, 9, "Neat work", "en")


def test_a_form_without_stars_is_shown_again_with_the_error(
    client, completed_install, rating_token, session
):
    response = client.post(
        f"/r/{rating_token(completed_install)}", data={"nps": "7", "comment": "hm", "lang": "en"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please choose 1 to 5 stars." in page
    assert 'value="7"\n          checked' in page or 'value="7" checked' in page.replace(
        "\n          ", " "
    )
    assert session.scalar(select(models.Rating)) is None


def test_a_used_link_shows_the_verdict_and_edits_the_one_rating(
    client, completed_install, rating_token, session
):
    url = f"/r/{rating_token(completed_install)}"
    client.post(url, data={"csat": "3", "lang": "en"})
    again = client.get(url).get_data(as_text=True)
    assert "You rated this visit already" in again
    client.post(url, data={"csat": "4", "nps": "8", "lang": "en"})
    ratings = session.scalars(select(models.Rating)).all()
    assert [(r.csat, r.nps, r.edits) for r in ratings] == [(4, 8, 1)]


def test_an_expired_link_gets_a_friendly_page(client, completed_install, rating_token, session):
    link = session.scalar(select(models.RatingLink))
    link.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    session.commit()
    url = f"/r/{rating_token(completed_install)}"
    for response in (client.get(url), client.post(url, data={"csat": "5"})):
        assert response.status_code == 410
        assert response.mimetype == "text/html"
        assert "This link has expired" in response.get_data(as_text=True)
    assert session.scalar(select(models.Rating)) is None


def test_a_forged_token_gets_a_friendly_page(client, completed_install, rating_token):
    nonce = rating_token(completed_install).split(".")[0]
    for token in (f"{nonce}.AAAAAAAAAAAAAAAAAAAAAA", "nonsense", "x" * 300):
        response = client.get(f"/r/{token}")
        assert response.status_code == 404
        assert "This link is not valid" in response.get_data(as_text=True)
    posted = client.post(f"/r/{nonce}.forged", data={"csat": "1"})
    assert posted.status_code == 404
    assert "This link is not valid" in posted.get_data(as_text=True)


def test_rating_pages_are_rate_limited_per_client(
    app, client, completed_install, rating_token, settings, monkeypatch
):
    monkeypatch.setitem(app.extensions, "settings", settings.replace(rating_rate_limit_per_min=3))
    url = f"/r/{rating_token(completed_install)}"
    statuses = [client.get(url).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get(url)
    assert "Too many requests" in limited.get_data(as_text=True)
    assert int(limited.headers["Retry-After"]) >= 1


def test_the_limit_counts_within_a_window_and_says_how_long_to_wait():
    strategy = FixedWindowRateLimiter(MemoryStorage())
    verdicts = [rate_limit.hit(strategy, "2 per minute", "k") for _ in range(3)]
    assert [v.allowed for v in verdicts] == [True, True, False]
    assert 1 <= verdicts[-1].retry_after_s <= 60


def test_with_redis_the_limit_is_counted_in_redis(redis_url):
    strategy = FixedWindowRateLimiter(storage_from_string(redis_url))
    key = f"test-{dt.datetime.now().timestamp()}"
    assert [rate_limit.hit(strategy, "1 per minute", key).allowed for _ in range(2)] == [
        True,
        False,
    ]
    assert rate_limit.check(
        FixedWindowRateLimiter(storage_from_string(redis_url)), "1 per minute", key
    ).allowed is False


def test_staff_can_read_the_rating_link_of_a_completed_visit(
    client, as_dispatcher, completed_install, rating_token, settings
):
    response = client.get(
        f"/api/v1/visits/{completed_install.id}/rating-link", headers=as_dispatcher
    )
    assert response.status_code == 200
    assert response.json["url"] == (
        f"{settings.public_base_url}/r/{rating_token(completed_install)}"
    )
    assert response.json["rated"] is False


def test_a_visit_without_a_rating_link_answers_404(client, as_dispatcher, session):
    from tests.factories import VisitFactory

    response = client.get(f"/api/v1/visits/{VisitFactory().id}/rating-link", headers=as_dispatcher)
    assert response.status_code == 404


def test_a_forged_token_with_non_ascii_characters_gets_the_friendly_page(client, session):
    response = client.post("/r/0.%C2%80", data={"csat": "1"})
    assert response.status_code == 404
    assert b"<html" in response.data.lower()

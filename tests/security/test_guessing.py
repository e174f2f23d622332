"""Guessing: sign-ins are throttled per account and per client; unknown emails cost a hash."""

from __future__ import annotations

import time

import pytest

from app.services import accounts
from tests import factories
from tests.console.conftest import CSRF_FIELD


@pytest.fixture
def tight_limits(app, settings, monkeypatch):
    monkeypatch.setitem(
        app.extensions,
        "settings",
        settings.replace(
            login_limit_per_account="3 per minute", login_limit_per_client="5 per minute"
        ),
    )


def _token(client, email, password):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def test_failed_sign_ins_on_one_account_end_in_429_with_retry_after(
    client, session, dispatcher, tight_limits
):
    statuses = [_token(client, dispatcher.email, "wrong").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    refused = _token(client, dispatcher.email, factories.PASSWORD)
    assert refused.status_code == 429
    assert refused.json["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_the_account_limit_holds_whatever_the_emails_spelling(
    client, session, dispatcher, tight_limits
):
    for spelling in (dispatcher.email, dispatcher.email.upper(), f" {dispatcher.email} "):
        _token(client, spelling, "wrong")
    assert _token(client, dispatcher.email, "wrong").status_code == 429


def test_failed_sign_ins_from_one_client_across_accounts_end_in_429(client, session, tight_limits):
    statuses = [_token(client, f"nobody{i}@example.com", "x").status_code for i in range(6)]
    assert statuses == [401] * 5 + [429]


def test_successful_sign_ins_are_not_counted(client, session, dispatcher, tight_limits):
    statuses = [_token(client, dispatcher.email, factories.PASSWORD).status_code for _ in range(6)]
    assert statuses == [201] * 6


def test_the_console_sign_in_is_throttled_too(app, session, dispatcher, tight_limits):
    browser = app.test_client()
    token = CSRF_FIELD.search(browser.get("/console/login").text).group(1)
    form = {"email": dispatcher.email, "password": "wrong", "csrf_token": token}
    statuses = [browser.post("/console/login", data=form).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert int(browser.post("/console/login", data=form).headers["Retry-After"]) >= 1


def test_an_unknown_email_costs_a_password_hash_like_a_wrong_password(
    client, session, dispatcher, monkeypatch
):
    calls = []
    real = accounts.verify_password

    def counting(stored, password):
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    assert _token(client, "nobody@example.com", "guess").status_code == 401
    assert _token(client, dispatcher.email, "guess").status_code == 401
    assert len(calls) == 2
    n_unknown, n_known = (stored.split("$")[1] for stored in calls)
    assert n_unknown == n_known  # the same scrypt cost either way


def test_the_rating_photo_endpoint_is_rate_limited(
    app, client, session, settings, completed_install, rating_token, monkeypatch
):
    monkeypatch.setitem(app.extensions, "settings", settings.replace(rating_rate_limit_per_min=3))
    url = f"/r/{rating_token(completed_install)}/photos/00000000-0000-0000-0000-000000000000"
    statuses = [client.get(url).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    assert int(client.get(url).headers["Retry-After"]) >= 1


def test_repeated_failures_wait_longer_once_the_longer_window_is_spent(
    app, client, session, dispatcher, settings, monkeypatch
):
    limits = settings.replace(login_limit_per_account="2 per second; 3 per hour")
    monkeypatch.setitem(app.extensions, "settings", limits)
    assert [_token(client, dispatcher.email, "wrong").status_code for _ in range(2)] == [401] * 2
    first_wait = int(_token(client, dispatcher.email, "wrong").headers["Retry-After"])
    assert first_wait <= 2
    time.sleep(first_wait + 0.05)
    assert _token(client, dispatcher.email, "wrong").status_code == 401  # the third of the hour
    refused = _token(client, dispatcher.email, factories.PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 60  # backed off to the hour window

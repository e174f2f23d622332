"""Secrets: strict environment, strong production keys, no demo data in production, no
framing of the console, and no link tokens in logs."""

from __future__ import annotations

import logging

import pytest

from app.config import ConfigError, Settings
from app.redaction import redact_tokens

STRONG_KEY = "Kq8vX2mP9rT4wZ7yB1nD5fH3jL6sA0cE"


@pytest.mark.parametrize("value", ["prod", "Production", "staging", "PRODUCTION "])
def test_an_unknown_app_env_refuses_to_start(value):
    with pytest.raises(ConfigError, match="APP_ENV"):
        Settings.from_env({"APP_ENV": value, "SECRET_KEY": STRONG_KEY})


@pytest.mark.parametrize(
    "key", ["s3cr3t-from-vault", "a" * 40, "changeme", "your-secret-key-here", "x" * 31]
)
def test_production_refuses_a_short_or_weak_secret_key(key):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env({"APP_ENV": "production", "SECRET_KEY": key})


def test_production_accepts_a_long_random_secret_key():
    assert Settings.from_env({"APP_ENV": "production", "SECRET_KEY": STRONG_KEY}).is_production


def test_seed_demo_refuses_to_run_in_production(app, settings):
    from app import create_app

    production = create_app(settings.replace(app_env="production", secret_key=STRONG_KEY))
    with production.app_context():  # as the `flask` command provides
        result = production.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "production" in result.output


def test_console_pages_may_not_be_framed_and_carry_a_csp(client, session):
    response = client.get("/console/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp


def test_rating_tokens_never_reach_the_request_log(
    client, session, completed_install, rating_token, caplog
):
    token = rating_token(completed_install)
    with caplog.at_level(logging.INFO, logger="app"):
        client.get(f"/r/{token}")
        client.get(f"/r/{token}/photos/00000000-0000-0000-0000-000000000000")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/r/<redacted>" in logged
    assert token not in logged


def test_the_logging_message_sender_redacts_link_tokens(caplog):
    from app.services.outbox import LoggingSender

    class Message:
        id, channel, recipient = 1, "sms", "13800000000"
        subject = "Rate your visit"
        body = "Please rate us: http://127.0.0.1:5000/r/abc.DEF_123-xyz thanks"

    with caplog.at_level(logging.INFO, logger="app.services.outbox"):
        LoggingSender().send(Message())  # type: ignore[arg-type]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "abc.DEF_123-xyz" not in logged
    assert "/r/<redacted> thanks" in logged


def test_redaction_keeps_paths_without_tokens():
    assert redact_tokens("/api/v1/visits?q=r") == "/api/v1/visits?q=r"

"""Secrets: strict environment, strong production keys, no demo data in production, no
framing of the console, and no link tokens in logs."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

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

    production = create_app(
        settings.replace(app_env="production", secret_key=STRONG_KEY, password_scrypt_n=2**17)
    )
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


class RecordingSender:
    """A gateway that keeps what it was handed at the moment of sending."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[str] = []
        self.fail = fail

    def send(self, message) -> None:
        self.sent.append(message.body)
        if self.fail:
            raise ConnectionError("gateway down")


def _link_message(session):
    from app import models

    message = models.OutboxMessage(
        dedupe_key="link-1",
        topic="rating_link",
        channel="sms",
        recipient="13800000000",
        subject="Rate your visit",
        body="Please rate us: http://127.0.0.1:5000/r/abc.DEF_123-xyz thanks",
        status="pending",
        attempts=0,
    )
    session.add(message)
    session.flush()
    return message


def test_the_outbox_forgets_a_link_once_the_message_is_delivered(session):
    from app.services.outbox import deliver

    message = _link_message(session)
    sender = RecordingSender()
    assert deliver(session, sender) == 1
    assert "/r/abc.DEF_123-xyz" in sender.sent[0]  # the customer got the working link
    session.expire_all()
    assert "abc.DEF_123-xyz" not in message.body
    assert "/r/<redacted> thanks" in message.body


def test_the_outbox_keeps_a_link_while_delivery_may_still_need_it_then_forgets_it(session):
    from app.services.outbox import MAX_ATTEMPTS, deliver

    message = _link_message(session)
    deliver(session, RecordingSender(fail=True))
    assert (message.status, "abc.DEF_123-xyz" in message.body) == ("pending", True)
    for _ in range(MAX_ATTEMPTS - 1):
        deliver(session, RecordingSender(fail=True))
    assert message.status == "failed"
    assert "abc.DEF_123-xyz" not in message.body


def test_new_passwords_are_hashed_at_scrypt_cost_2_17_by_default(monkeypatch):
    from app import config
    from app.services import accounts

    monkeypatch.setattr(config, "_active", Settings())
    stored = accounts.hash_password("correct horse")
    assert stored.split("$")[1:4] == [str(2**17), "8", "1"]
    assert accounts.verify_password(stored, "correct horse")


def test_production_refuses_a_password_cost_below_2_17():
    with pytest.raises(ConfigError, match="PASSWORD_SCRYPT_N"):
        Settings.from_env(
            {"APP_ENV": "production", "SECRET_KEY": STRONG_KEY, "PASSWORD_SCRYPT_N": "16384"}
        )


def test_an_older_password_hash_is_redone_at_todays_cost_on_the_next_sign_in(
    app, client, session, settings, dispatcher, monkeypatch
):
    from app import config, models
    from app.services import accounts
    from tests.factories import PASSWORD

    monkeypatch.setattr(config, "_active", settings.replace(password_scrypt_n=2**10))
    user = session.get(models.User, dispatcher.id)
    user.password_hash = accounts.hash_password(PASSWORD)
    session.commit()
    epoch = user.session_epoch
    monkeypatch.setattr(config, "_active", settings)

    response = client.post(
        "/api/v1/auth/token", json={"email": dispatcher.email, "password": PASSWORD}
    )

    assert response.status_code == 201
    session.expire_all()
    user = session.get(models.User, dispatcher.id)
    assert user.password_hash.split("$")[1] == str(settings.password_scrypt_n)
    assert accounts.verify_password(user.password_hash, PASSWORD)
    assert user.session_epoch == epoch  # the same password: no session ends
    token = response.json["access_token"]
    assert (
        client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )


@pytest.mark.parametrize(
    "error",
    [
        OverflowError("date value out of range"),
        IntegrityError("INSERT", {}, Exception("duplicate key")),
        OperationalError("SELECT", {}, Exception("server closed the connection")),
    ],
    ids=["out_of_range", "integrity", "database_down"],
)
def test_error_log_lines_redact_link_tokens(app, caplog, error):
    token = "progress.TOKEN_abc-123"
    with (
        app.test_request_context(f"/p/{token}/request", method="POST"),
        caplog.at_level(logging.INFO),
    ):
        app.handle_user_exception(error)
        app.log_exception((type(error), error, None))  # an unexpected error's log line
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 2
    assert all("/p/<redacted>/request" in line for line in logged), logged
    assert all(token not in line for line in logged), logged


def test_every_console_response_may_not_be_framed(sign_in, dispatcher):
    console = sign_in(dispatcher)
    for path in ("/console/board", "/console/no-such-page", "/console/visits/999999"):
        response = console.get(path)
        assert response.headers.get("X-Frame-Options") == "DENY", (path, response.status_code)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path

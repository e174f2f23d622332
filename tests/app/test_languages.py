"""Who reads which language: the user's choice, then Accept-Language, then zh_CN."""

# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose

from __future__ import annotations


def test_an_error_message_is_chinese_by_default(app, session):
    response = app.test_client().get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.json["code"] == "not_authenticated"
    assert response.json["message"] == "需要 `Authorization: Bearer <token>` 请求头"


def test_an_english_browser_reads_errors_in_english(client):
    response = client.get("/api/v1/users/me")
    assert response.json["message"] == "an `Authorization: Bearer <token>` header is required"


def test_a_user_chooses_a_language_that_wins_over_the_browser(app, dispatcher, login):
    headers = {**login(dispatcher), "Accept-Language": "en"}
    client = app.test_client()
    chosen = client.patch("/api/v1/users/me", json={"language": "zh_CN"}, headers=headers)
    assert chosen.status_code == 200
    assert chosen.json["language"] == "zh_CN"
    refused = client.get("/api/v1/users", headers=headers)
    assert refused.status_code == 403
    assert refused.json["message"] == "此操作需要以下角色：admin"


def test_an_unknown_language_is_refused_in_the_error_format(client, dispatcher, login):
    response = client.patch("/api/v1/users/me", json={"language": "fr"}, headers=login(dispatcher))
    assert response.status_code == 422
    assert "language" in response.json["errors"]


def test_force_locale_words_a_message_for_a_recipient_outside_any_request(app):
    from flask_babel import force_locale, gettext

    with app.app_context():
        with force_locale("en"):
            assert gettext("How was our visit?") == "How was our visit?"
        with force_locale("zh_CN"):
            assert gettext("How was our visit?") == "请评价我们的上门服务"

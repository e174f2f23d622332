"""Rating pages speak the customer's language: zh-CN by default, ?lang= and its cookie."""

from __future__ import annotations

from sqlalchemy import select

from app import models


def _page(client, url, **headers):
    return client.get(url, headers=headers).get_data(as_text=True)


def test_a_browser_without_a_language_gets_chinese(app, session, completed_install, rating_token):
    anonymous = app.test_client()
    page = _page(anonymous, f"/r/{rating_token(completed_install)}")
    assert '<html lang="zh-CN">' in page
    assert "您对本次服务满意吗" in page


def test_the_chosen_language_is_remembered_in_a_cookie(zh_client, completed_install, rating_token):
    url = f"/r/{rating_token(completed_install)}"
    chosen = zh_client.get(f"{url}?lang=en")
    assert "How satisfied are you with this visit?" in chosen.get_data(as_text=True)
    assert "lang=en" in chosen.headers["Set-Cookie"]
    # The Chinese browser comes back without ?lang=: the cookie keeps English.
    assert "How satisfied are you with this visit?" in _page(zh_client, url)


def test_reopening_a_rated_link_shows_the_change_button_in_both_languages(
    client, zh_client, completed_install, rating_token
):
    url = f"/r/{rating_token(completed_install)}"
    assert client.post(url, data={"csat": "4", "nps": "8"}).status_code == 200
    chinese = _page(zh_client, url)
    english = _page(client, url)
    for page in (chinese, english):
        assert "built-in method" not in page
        assert 'id="already"' in page
    assert '<button type="submit" id="submit">修改评价</button>' in chinese
    assert '<button type="submit" id="submit">Change my rating</button>' in english


def test_the_technician_is_master_surname_in_chinese_and_the_given_name_in_english(
    client, zh_client, completed_install, rating_token, technician
):
    surname, given = technician.name.split()[0], technician.name.split()[-1]
    url = f"/r/{rating_token(completed_install)}"
    assert f'<dd id="technician">{surname}师傅</dd>' in _page(zh_client, url)
    assert f'<dd id="technician">{given}</dd>' in _page(client, url)


def test_the_rating_link_message_is_written_in_chinese_by_default(
    session, completed_install, rating_token
):
    rating_token(completed_install)
    message = session.scalar(
        select(models.OutboxMessage).where(models.OutboxMessage.topic == "rating_link")
    )
    assert message is not None
    assert message.subject == "请评价我们的上门服务"
    assert "感谢您的信任" in message.body
    assert "thank you" not in message.body

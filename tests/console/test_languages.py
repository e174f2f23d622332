"""The console speaks the dispatcher's language: their choice, else the browser's, else Chinese."""

from __future__ import annotations

from sqlalchemy import select

from app.models import User


def test_a_chinese_browser_gets_the_console_in_chinese(sign_in, dispatcher):
    console = sign_in(dispatcher, "zh-CN,zh;q=0.9")
    page = console.get("/console/board").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "派工看板" in page
    assert "智能排程当天" in page


def test_the_dispatchers_choice_wins_over_the_browser(sign_in, dispatcher, session):
    console = sign_in(dispatcher, "en")
    chosen = console.post("/console/language", {"language": "zh_CN", "next": "/console/board"})
    assert chosen.status_code == 302
    assert session.scalar(select(User.language).where(User.id == dispatcher.id)) == "zh_CN"
    assert "派工看板" in console.get("/console/board").get_data(as_text=True)


def test_an_unknown_language_is_refused_with_a_message_in_the_readers_language(
    sign_in, dispatcher, session
):
    console = sign_in(dispatcher, "en")
    refused = console.post("/console/language", {"language": "fr", "next": "/console/board"})
    assert refused.status_code == 302
    board = console.get("/console/board").get_data(as_text=True)
    assert "choose one of the offered languages" in board
    assert session.scalar(select(User.language).where(User.id == dispatcher.id)) is None


def test_a_refused_move_is_flashed_in_chinese(sign_in, dispatcher):
    console = sign_in(dispatcher, "zh-CN")
    refused = console.post("/console/visits/999999/move", {"technician_id": "1"})
    assert refused.status_code == 302
    assert "工单 999999 不存在" in console.get("/console/board").get_data(as_text=True)

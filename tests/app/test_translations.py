"""The catalogues: every marked string has a Chinese translation, and the .mo files are current."""

# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose

from __future__ import annotations

import pytest

from app.config import LOCALES
from app.i18n import workflow
from app.i18n.catalog import render
from app.i18n.reasons import reason_text


def test_every_string_marked_for_translation_has_a_chinese_translation():
    missing = workflow.missing_translations("zh_CN")
    listing = "\n".join(f"  {m.why}: {m.msgid!r}" for m in missing)
    assert not missing, (
        f"{len(missing)} marked string(s) lack a zh_CN translation; run scripts/i18n, translate "
        f"them in {workflow.po_path('zh_CN')}, then scripts/i18n compile:\n{listing}"
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalogue_matches_its_po_file(locale):
    assert not workflow.stale_compiled(locale), (
        f"{workflow.mo_path(locale)} is older than its .po: run scripts/i18n compile"
    )


def test_an_unassigned_reason_is_worded_from_its_code_and_details():
    text = reason_text(
        12,
        "shift_too_short",
        "English from the planner",
        {"technician_id": "7", "day": "2026-12-01", "duration_min": 180},
    )
    assert render(text, "zh_CN") == (
        "技师 7 在 2026-12-01 的班次太短，容纳不下工单 12（180 分钟）及往返路程。"
    )
    assert "too short for visit 12 (180 min)" in render(text, "en")


def test_a_reason_whose_details_lack_a_parameter_keeps_the_planners_message():
    text = reason_text(12, "shift_too_short", "English from the planner", {})
    assert render(text, "zh_CN") == "English from the planner"


def test_no_error_or_marked_text_is_an_f_string():
    found = workflow.untranslatable_messages()
    assert not found, (
        "these messages are f-strings the catalogue cannot hold; write a %(name)s message "
        "and pass params= instead:\n  " + "\n  ".join(found)
    )

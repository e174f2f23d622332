"""Customer pages address technicians as surname + 师傅 in Chinese, by given name in English."""

from __future__ import annotations

import pytest

from app.i18n.names import technician_address


@pytest.mark.parametrize(
    ("name", "zh", "en"),
    [
        ("Wang Wei", "Wang师傅", "Wei"),
        ("王伟", "王师傅", "伟"),
        ("欧阳娜", "欧阳师傅", "娜"),
        ("Li", "Li师傅", "Li"),
    ],
)
def test_a_technician_is_addressed_by_surname_and_master_in_chinese(name, zh, en):
    assert technician_address(name, "zh_CN") == zh
    assert technician_address(name, "en") == en

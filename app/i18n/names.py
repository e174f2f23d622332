"""How customer pages address a technician: surname + 师傅 in Chinese, the given name in English."""

from __future__ import annotations

_COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "令狐",
    "慕容",
    "司徒",
    "夏侯",
)


def split_name(full_name: str) -> tuple[str, str]:
    """(surname, given name) of a name written surname first ("Wang Wei", "王伟", "欧阳娜")."""
    name = full_name.strip()
    parts = name.split()
    if len(parts) > 1:
        return parts[0], parts[-1]
    if name and _is_cjk(name[0]):
        surname = next((s for s in _COMPOUND_SURNAMES if name.startswith(s)), name[0])
        return surname, name[len(surname) :] or name
    return name, name


def technician_address(full_name: str, locale: str) -> str:
    """What a customer calls the technician: "王师傅" / "Wang师傅" in Chinese, "Wei" in English."""
    surname, given = split_name(full_name)
    return f"{surname}师傅" if locale.startswith("zh") else given


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"

"""The catalogue workflow (extract → update → compile) and its checks, on Babel's own tools.

`scripts/i18n` runs it; the tests use `missing_translations` and `stale_compiled` so a string
marked for translation without a Chinese translation, or a .mo older than its .po, fails CI.
"""

from __future__ import annotations

import ast
import io
import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import CommandLineInterface, parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app.config import LOCALES, PROJECT_ROOT
from app.i18n.catalog import DOMAIN, TRANSLATIONS_DIR

MAPPING = PROJECT_ROOT / "babel.cfg"
TEMPLATE = TRANSLATIONS_DIR / f"{DOMAIN}.pot"
# Calls whose first argument is a message id: gettext's, our markers, and the domain errors.
KEYWORDS = (
    "_",
    "gettext",
    "ngettext:1,2",
    "lazy_gettext",
    "N_",
    "Text",
    "AppError",
    "ValidationFailed",
    "NotAuthenticated",
    "Forbidden",
    "NotFound",
    "NotFoundError",
    "Conflict",
    "VersionConflict",
    "InvalidTransition",
    "PreconditionRequired",
    "TemporarilyUnavailable",
    "CsrfRefused",
    "CompletionBlocked",
    "PayloadTooLarge",
    "HashMismatch",
    "NotAnImage",
    "LinkUnusable",
    "MutationIdReused",
    "MutationSequenceGap",
    "UnsupportedVersion",
    "InvalidCursor",
    "ThumbnailPending",
)


# Header dates are pinned: catalogues then change only when messages do, and branches that
# each run the workflow do not conflict over a timestamp.
_HEADER_DATES = re.compile(r'^"(POT-Creation-Date|PO-Revision-Date): [^"]*"$', re.MULTILINE)
PINNED_DATE = "2026-01-01 00:00+0000"


def _pin_header_dates(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(
        _HEADER_DATES.sub(lambda m: f'"{m.group(1)}: {PINNED_DATE}\\n"', text), encoding="utf-8"
    )


def po_path(locale: str) -> Path:
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(locale: str) -> Path:
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract_to_template() -> None:
    """`pybabel extract`: the message ids of the code and templates into messages.pot."""
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    _pybabel(
        "extract",
        "-F",
        str(MAPPING),
        *keywords,
        "--no-location",
        "--sort-output",
        "--project",
        "fieldservice",
        "-o",
        str(TEMPLATE),
        str(PROJECT_ROOT),
    )
    _pin_header_dates(TEMPLATE)


def update_catalogues() -> None:
    """`pybabel update`: new ids into each .po (untranslated), vanished ones marked obsolete."""
    for locale in LOCALES:
        args = ["-i", str(TEMPLATE), "-d", str(TRANSLATIONS_DIR), "-l", locale, "--no-wrap"]
        if not po_path(locale).exists():
            _pybabel("init", *args[:6], "-l", locale)
            continue
        _pybabel("update", *args, "--ignore-obsolete", "--no-fuzzy-matching")
    for locale in LOCALES:
        _pin_header_dates(po_path(locale))


def compile_catalogues() -> None:
    """`pybabel compile`: the .mo files the app reads."""
    _pybabel("compile", "-d", str(TRANSLATIONS_DIR), "--statistics")


def extracted_ids() -> set[str]:
    """Every message id marked in the code and templates, extracted now (nothing written)."""
    with MAPPING.open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    keywords = {}
    for keyword in KEYWORDS:
        name, _, spec = keyword.partition(":")
        keywords[name] = tuple(int(i) for i in spec.split(",")) if spec else None
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT),
        method_map,
        options_map,
        keywords=keywords,
        directory_filter=_skip_tooling,
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _skip_tooling(dirname: str) -> bool:
    name = Path(dirname).name
    return not (name.startswith(".") or name in {"__pycache__", "node_modules", "build", "dist"})


def read_catalogue(locale: str) -> Catalog:
    with po_path(locale).open("rb") as po:
        return read_po(po, locale=locale)


@dataclass(frozen=True)
class Missing:
    msgid: str
    why: str  # "not in the catalogue", "untranslated", "fuzzy"


def missing_translations(locale: str = "zh_CN") -> list[Missing]:
    """Marked message ids without a usable translation in `locale`'s .po, sorted."""
    catalogue = read_catalogue(locale)
    missing = []
    for msgid in sorted(extracted_ids()):
        entry = catalogue.get(msgid)
        if entry is None:
            missing.append(Missing(msgid, "not in the catalogue"))
        elif not entry.string:
            missing.append(Missing(msgid, "untranslated"))
        elif entry.fuzzy:
            missing.append(Missing(msgid, "fuzzy"))
    return missing


def stale_compiled(locale: str) -> bool:
    """Whether `locale`'s .mo differs from what compiling its .po gives now."""
    fresh = io.BytesIO()
    write_mo(fresh, read_catalogue(locale))
    mo = mo_path(locale)
    return not mo.exists() or mo.read_bytes() != fresh.getvalue()


def untranslatable_messages() -> list[str]:
    """`path:line` of marked calls (errors included) whose message is an f-string.

    An f-string's text is fixed only when it runs, so the catalogue cannot hold it: pass a
    `%(name)s` message and `params=` instead.
    """
    names = {keyword.partition(":")[0] for keyword in KEYWORDS}
    found = []
    for package in ("app", "sync", "mobile_api"):
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                first = node.args[0]
                if name in names and _has_placeholders(first):
                    found.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    return found


def _has_placeholders(node: ast.expr) -> bool:
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp):
        return _has_placeholders(node.left) or _has_placeholders(node.right)
    return False

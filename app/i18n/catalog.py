"""The compiled catalogues, read with Babel alone: for messages written outside a request.

Outbox messages and job output are written in their recipient's language, which is not the
language of whatever request (or worker) happens to cause them.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from app.config import LOCALES
from app.i18n.text import Gettext, Text

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "messages"


@cache
def catalogue(locale: str) -> NullTranslations:
    """The compiled catalogue of one of `LOCALES` (read once per process)."""
    return Translations.load(str(TRANSLATIONS_DIR), [locale], DOMAIN)


def translator(locale: str | None) -> Gettext:
    """`gettext` for one of the product's locales (an unknown one reads as English)."""
    return catalogue(normalize(locale) or "en").gettext


def render(text: Text | str, locale: str | None) -> str:
    """A text (or a plain marked message id) in `locale`."""
    gettext = translator(locale)
    return text.render(gettext) if isinstance(text, Text) else gettext(text)


def normalize(tag: str | None) -> str | None:
    """One of `LOCALES` for a language tag ("zh", "zh-CN", "zh_Hans", "en-GB"), else None."""
    if not tag:
        return None
    primary = tag.replace("-", "_").split("_")[0].lower()
    if primary == "zh":
        return "zh_CN"
    return next((locale for locale in LOCALES if locale.lower() == primary), None)


def first_supported(tags: Iterable[str]) -> str | None:
    """The first of `tags` (best first) the product speaks."""
    for tag in tags:
        locale = normalize(tag)
        if locale is not None:
            return locale
    return None

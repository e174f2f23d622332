"""Flask-Babel in requests: which language a reader gets, and the template filters.

Staff (console and API): their own `language` if they chose one, else the browser's
Accept-Language, else the `DEFAULT_LOCALE` setting (zh_CN). Customer pages: `?lang=`, then the
cookie that choice leaves, then Accept-Language, then the setting. Dates and numbers are
formatted by Babel for that language, dates in the service time zone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.dates import format_skeleton
from babel.support import NullTranslations
from flask import Flask, Response, g, has_app_context, has_request_context, request
from flask_babel import (
    Babel,
    Domain,
    format_decimal,
    format_percent,
    get_locale,
    get_timezone,
    gettext,
)
from werkzeug.utils import cached_property

from app.config import Settings
from app.errors import AppError
from app.i18n.catalog import TRANSLATIONS_DIR, catalogue, first_supported, normalize
from app.i18n.labels import label_id
from app.i18n.reasons import reason_text
from app.i18n.text import Text


class _CatalogueDomain(Domain):
    """Reads the catalogues by the names they have on disk (zh_CN, en).

    Babel parses "zh_CN" as zh_Hans_CN, and gettext's lookup of that name never tries the
    zh_CN directory; requests and outside-request messages share `catalog.catalogue` instead.
    """

    def get_translations(self) -> NullTranslations:
        if not (has_request_context() or has_app_context()):
            return NullTranslations()
        return catalogue(current_locale())


class _Babel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return _CatalogueDomain(domain=self.domain)


babel = _Babel()

LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
# Blueprints whose pages customers read: they choose with ?lang= and a cookie, not an account.
CUSTOMER_BLUEPRINTS: set[str] = {"rating_pages", "progress_pages", "request_pages", "help_pages"}

# Named date styles for templates (Babel skeletons: each language orders the parts its own way).
_SKELETONS = {
    "datetime": "MMMEd Hm",  # zh: 11月30日周一 14:00 · en: Mon, Nov 30 14:00
    "time": "Hm",  # 14:00
    "date": "yMMMEd",  # zh: 2026年11月30日周一 · en: Mon, Nov 30, 2026
    "day": "MMMEd",  # zh: 11月30日周一 · en: Mon, Nov 30
    "short_day": "MEd",  # zh: 11/30周一 · en: Mon, 11/30
}


def init_app(app: Flask, settings: Settings) -> None:
    """Install Flask-Babel with the product's catalogues, locale rules and filters."""
    app.config.update(
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_DEFAULT_TIMEZONE=settings.time_zone,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_DIR),
    )
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(
        local=local_datetime, day=local_day, number=number, percent=percent
    )
    app.jinja_env.globals.update(
        locale_tag=locale_tag,
        label=label,
        current_locale=current_locale,
        tr=translate,
        reason_text=worded_reason,
    )
    app.after_request(_remember_customer_choice)


def select_locale() -> str | None:
    """The language of this request (None: the default setting)."""
    if not has_request_context():
        return None
    if request.blueprint in CUSTOMER_BLUEPRINTS:
        return customer_choice() or browser_choice()
    # Read when the user signed in: choosing a language must never touch the database (an
    # error handler may be wording a failed transaction's error).
    return g.get("user_language") or browser_choice()


def remember_user_language(user: object) -> None:
    """Note the signed-in user's language for this request (call where `g.user` is set)."""
    g.user_language = getattr(user, "language", None)


def customer_choice() -> str | None:
    """A customer's explicit choice: `?lang=` (or the form's field), else the cookie."""
    return normalize(request.values.get("lang")) or normalize(request.cookies.get(LANG_COOKIE))


def browser_choice() -> str | None:
    """The best language of the browser's Accept-Language that the product speaks."""
    return first_supported(value for value, _quality in request.accept_languages)


def current_locale() -> str:
    """The request's locale as the catalogues name it ("zh_CN", "en")."""
    return normalize(str(get_locale())) or "en"


def locale_tag() -> str:
    """The request's language as HTML names it ("zh-CN", "en")."""
    return current_locale().replace("_", "-")


def _remember_customer_choice(response: Response) -> Response:
    if request.blueprint in CUSTOMER_BLUEPRINTS:
        chosen = normalize(request.args.get("lang"))
        if chosen:
            response.set_cookie(
                LANG_COOKIE, chosen, max_age=LANG_COOKIE_MAX_AGE, httponly=True, samesite="Lax"
            )
    return response


def say(error: AppError) -> str:
    """An error's message in the reader's language."""
    return Text(error.template, error.params).render(gettext)


def translate(text: Text | str) -> str:
    """A marked text in the reader's language."""
    return text.render(gettext) if isinstance(text, Text) else gettext(text)


def worded_reason(
    visit_id: int, code: str, message: str, details: dict[str, object] | None = None
) -> str:
    """Why a visit is unassigned, in the reader's language."""
    return translate(reason_text(visit_id, code, message, details))


def label(group: str, value: object) -> str:
    """A stored value (a visit kind, a status, …) as the reader's language names it."""
    return gettext(label_id(group, value))


def local_datetime(value: dt.datetime | None, style: str = "datetime") -> str:
    """A moment in the service time zone, in the reader's language ("-" for none).

    `style` is one of datetime, time, date, day, short_day; "%H:%M" is read as time.
    """
    if value is None:
        return "-"
    style = "time" if style == "%H:%M" else style if style in _SKELETONS else "datetime"
    locale, tz = get_locale(), get_timezone()
    if style == "datetime":
        # Babel's data has no day-and-time skeleton for every language: day, then time.
        day = format_skeleton("MMMEd", value, tzinfo=tz, locale=locale)
        return f"{day} {format_skeleton('Hm', value, tzinfo=tz, locale=locale)}"
    return format_skeleton(_SKELETONS[style], value, tzinfo=tz, locale=locale)


def local_day(value: dt.date | None, style: str = "date") -> str:
    """A calendar day in the reader's language (styles as for `local_datetime`)."""
    if value is None:
        return "-"
    noon = dt.datetime.combine(value, dt.time(12))
    return format_skeleton(_SKELETONS.get(style, _SKELETONS["date"]), noon, locale=get_locale())


def number(value: float | int | Decimal | None, digits: int | None = None) -> str:
    """A number in the reader's language; `digits` fixes the decimals shown."""
    if value is None:
        return "-"
    if digits is None:
        return format_decimal(value)
    return format_decimal(value, format="#,##0" + ("." + "0" * digits if digits else ""))


def percent(value: float | None) -> str:
    """A share (0.42) as a percentage in the reader's language ("-" for none)."""
    return "-" if value is None else format_percent(value, format="#,##0%")

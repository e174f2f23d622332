"""A browser signed in to the console without typing into the sign-in form.

The console's own sign-in endpoint signs the user in (through the Flask test client: the CSRF
token of GET /console/login, then the form's POST), and the session cookie it sets is handed to
the browser. The session is the one a sign-in through the form makes; only the typing and the
page loads of the form are skipped. The form itself is driven in a browser by
tests/browser/test_console_languages.py (and its answers are tested in
tests/console/test_console_auth.py).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.console.conftest import CSRF_FIELD
from tests.factories import PASSWORD


def console_session_cookies(
    app: Flask, live_server: str, email: str, password: str = PASSWORD
) -> list[dict[str, Any]]:
    """The cookies a sign-in to the console as `email` sets, ready for Playwright's add_cookies."""
    client = app.test_client()
    token = CSRF_FIELD.search(client.get("/console/login").text).group(1)
    response = client.post(
        "/console/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.text
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None, f"the sign-in set no {name!r} cookie"
    # As the browser would keep it: the attributes the app set (a test server is plain HTTP,
    # so the cookie is not marked secure).
    browser_cookie: dict[str, Any] = {
        "name": name,
        "value": cookie.value,
        "url": live_server,
        "httpOnly": cookie.http_only,
    }
    if cookie.same_site:
        browser_cookie["sameSite"] = cookie.same_site.capitalize()
    return [browser_cookie]


def sign_in_console(
    page: Any, app: Flask, live_server: str, email: str, password: str = PASSWORD
) -> Any:
    """Give `page`'s browser context a console session as `email` (the page stays where it is)."""
    page.context.add_cookies(console_session_cookies(app, live_server, email, password))
    return page

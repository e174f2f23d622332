"""Fixtures shared with the console and feedback suites."""

from tests.console.conftest import sign_in  # noqa: F401
from tests.feedback.conftest import (  # noqa: F401  # noqa: F401, E402
    complete,
    completed_install,
    fulfil,
    on_site_visit,
    rating_token,
    tech_headers,
    templates,
    upload,
)

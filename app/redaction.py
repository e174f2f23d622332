"""Keep customer link tokens out of logs: whoever reads a log must not be able to use a link."""

from __future__ import annotations

import re

# Rating links are /r/<token>[/...]: the token is a bearer credential for that page.
_LINK_TOKEN = re.compile(r"(/r/)[^/\s?#\"'<>]+")


def redact_tokens(text: str) -> str:
    """`text` with every rating-link token replaced by `<redacted>`."""
    return _LINK_TOKEN.sub(r"\1<redacted>", text)

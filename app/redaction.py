"""Keep customer link tokens out of logs: whoever reads a log must not be able to use a link."""

from __future__ import annotations

import re

# Rating links are /r/<token>[/...], progress links /p/<token>[/...]: each token is a bearer
# credential for its pages.
_LINK_TOKEN = re.compile(r"(/[rp]/)[^/\s?#\"'<>]+")


def redact_tokens(text: str) -> str:
    """`text` with every rating- and progress-link token replaced by `<redacted>`."""
    return _LINK_TOKEN.sub(r"\1<redacted>", text)

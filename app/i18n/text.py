"""Marking strings for translation where no request is at hand (no Flask here).

A marked string is an English message id; it is translated where it is shown: the HTTP layer
for errors and reasons, `catalog.translator` for messages written outside a request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Gettext = Callable[[str], str]


def N_(message: str) -> str:  # noqa: N802 - the conventional name extractors look for
    """Mark `message` for the catalogue without translating it here."""
    return message


def _same(message: str) -> str:
    return message


@dataclass(frozen=True)
class Text:
    """A translatable text: a marked message id with `%(name)s` parameters."""

    template: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, gettext: Gettext = _same) -> str:
        """The text in the language `gettext` translates to (English by default)."""
        translated = gettext(self.template)
        if not self.params:
            return translated
        values = {
            name: value.render(gettext) if isinstance(value, Text | Join) else value
            for name, value in self.params.items()
        }
        return translated % values

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True)
class Join:
    """Texts joined by a separator, each translated (a list inside a message)."""

    items: tuple[Text, ...]
    separator: Text = Text(N_("; "))

    def render(self, gettext: Gettext = _same) -> str:
        """The items in the language `gettext` translates to, joined."""
        return self.separator.render(gettext).join(item.render(gettext) for item in self.items)

    def __str__(self) -> str:
        return self.render()

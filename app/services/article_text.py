"""Article bodies: Markdown rendered to safe HTML on the server, and the text search reads.

markdown-it-py (CommonMark, maintained by the Executable Books project) renders with raw HTML
switched off, and nh3 (the Python binding of the Rust sanitiser Ammonia) then keeps only an
allow-list of tags and attributes. Either alone would do today; both together mean a future
parser option or plugin cannot smuggle a script or an `onerror=` through to a reader.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MARKDOWN.enable("table").enable("strikethrough")

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s",
        "code", "pre", "blockquote", "ul", "ol", "li", "a", "img",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
# Links and images may point to the web or to our own pages; never `javascript:` or `data:`.
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


def render(markdown: str) -> str:
    """The body as sanitised HTML, safe to put in a page as it is."""
    html = _MARKDOWN.render(markdown)
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )


def searchable(title: str, body: str) -> str:
    """What search matches against: title and body, lower-cased, runs of blanks collapsed."""
    return " ".join(f"{title}\n{body}".lower().split())

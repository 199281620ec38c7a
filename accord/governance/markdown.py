"""Safe rendering of documents' Markdown to HTML.

Document text is written by staff but read by everyone, customers included, so it is treated
as untrusted: markdown-it renders CommonMark with raw HTML disabled (``<script>`` stays text),
then nh3 keeps only a small allow-list of tags and attributes, drops links to anything but
http(s), mailto and the site's own paths (so no ``javascript:``), and gives every link
``rel="noopener noreferrer"``.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"style"}, "th": {"style"}}
URL_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_markdown.enable("strikethrough")


def render_markdown(text: str) -> str:
    """Sanitised HTML of ``text`` (Markdown); safe to mark safe in a template."""
    html = _markdown.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        filter_style_properties={"text-align"},
    )

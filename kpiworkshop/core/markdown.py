"""Markdown for user text: rendered, then sanitised with nh3 (an allow-list, so hostile HTML,
scripts, event handlers and javascript: links never reach a page)."""

import threading

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


#: One parser per thread, reset before each text: building a parser (its extensions and
#: processors) costs twice the conversion of a KPI's paragraph, and a 500-KPI publish
#: renders 6 000 of them. A parser keeps nothing of a text once reset.
_parsers = threading.local()


def _parser() -> md.Markdown:
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = md.Markdown(
            extensions=["tables", "sane_lists"],
            # Column alignment as an `align` attribute: the allow-list keeps it, inline styles not.
            extension_configs={"tables": {"use_align_attribute": True}},
            output_format="html",
        )
    return parser.reset()


def render_markdown(text: str | None) -> SafeString:
    if not text:
        return mark_safe("")
    html = _parser().convert(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 above

"""Reading a page as a patient reads it: the visible sentences, and apart from them the "Why?"
disclosures (templates/_why.html) that carry the rule IDs (issue 16, point 3)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

RULE_ID_PATTERN = re.compile(r"\b[A-Z]{2,}-[A-Z0-9-]+\b")
_SKIPPED = {"script", "style", "template", "title", "head"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Split(HTMLParser):
    """Text nodes outside <details class="why"> and inside it (attributes and comments are not read)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []  # (tag, "why" / "skip" / "") per open element
        self.outside: list[str] = []
        self.inside: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        kind = "why" if tag == "details" and "why" in classes else "skip" if tag in _SKIPPED else ""
        self.stack.append((tag, kind))

    def handle_endtag(self, tag):
        # Close up to the matching open tag (an unclosed <p> or <li> does not shift the rest).
        if any(open_tag == tag for open_tag, _ in self.stack):
            while self.stack and self.stack.pop()[0] != tag:
                pass

    def handle_data(self, data):
        kinds = {kind for _, kind in self.stack}
        if "skip" in kinds:
            return
        (self.inside if "why" in kinds else self.outside).append(data)


def _split(html: str | bytes) -> _Split:
    parser = _Split()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return parser


def visible_text_outside_why(html: str | bytes) -> str:
    """What a patient reads on the page without opening a "Why?"."""
    return " ".join(" ".join(_split(html).outside).split())


def why_text(html: str | bytes) -> str:
    """The text of every "Why?" disclosure on the page."""
    return " ".join(" ".join(_split(html).inside).split())


def rule_ids_outside_why(html: str | bytes) -> list[str]:
    return RULE_ID_PATTERN.findall(visible_text_outside_why(html))

"""Markdown to HTML, in one place: numbered citations, no raw HTML, only safe link targets.

Everything else in the generator calls render_markdown(), so the engine could be swapped
without touching templates or stages.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

import markdown
from markdown import util
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from kcrecord.content import urls
from kcrecord.content.citations import CITATION
from kcrecord.engine.time_limit import time_limit


def is_safe_target(target: str) -> bool:
    """Return True for http(s), mailto and scheme-less targets that stay on the site (see urls.py)."""
    return urls.is_allowed(target.replace(util.AMP_SUBSTITUTE, "&"))


class _LinkPolicy(Treeprocessor):
    """Drop unsafe link targets and point site-relative links at the base path."""

    def __init__(self, md: markdown.Markdown, base_path: str) -> None:
        super().__init__(md)
        self.base_path = base_path

    def run(self, root: Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                target = element.get(attribute)
                if target is None:
                    continue
                target = target.replace(util.AMP_SUBSTITUTE, "&")
                if not urls.is_allowed(target):
                    del element.attrib[attribute]
                    if element.tag == "a":
                        element.tag = "span"
                    continue
                # Write what was checked, so the browser reads exactly that (no references left).
                seen = urls.attribute_value(target)
                if urls.browser_view(target).startswith("/"):  # on this site: under the base path
                    seen = self.base_path + seen.replace("\\", "/")[1:]
                element.set(attribute, seen)


class _ShiftHeadings(Treeprocessor):
    """Move headings down a level when the text sits under a heading of the page's own."""

    shift = 0

    def run(self, root: Element) -> None:
        if not self.shift:
            return
        for element in root.iter():
            if len(element.tag) == 2 and element.tag[0] == "h" and element.tag[1].isdigit():
                element.tag = f"h{min(6, int(element.tag[1]) + self.shift)}"


class _ScrollableTables(Treeprocessor):
    """Wrap each table in a labelled, focusable scroll box, so a wide table scrolls by itself, not the page."""

    def run(self, root: Element) -> None:
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                if child.tag != "table":
                    continue
                headers = [" ".join("".join(cell.itertext()).split()) for cell in child.iter("th")]
                label = "Table: " + ", ".join(h for h in headers if h) if any(headers) else "Table"
                box = Element("div", {"class": "table-scroll", "role": "region", "tabindex": "0"})
                box.set("aria-label", label)
                box.tail, child.tail = child.tail, "\n"
                parent.remove(child)
                box.append(child)
                parent.insert(index, box)


class _Citations(InlineProcessor):
    """Turn `[^source-id]` into a numbered marker linking to the source's entry in the page's list.

    Each marker is its own link, `[2]`, so markers side by side read as [1][2][3], never as 123;
    markers written together stay together in one `<span class="cites">` that does not wrap.
    A label that is not one of the page's sources stays as written (validation reports it first).
    """

    def __init__(self) -> None:
        super().__init__(f"(?:{CITATION.pattern})+")  # no '[' in a label: one pass, however long the run
        self.numbers: dict[str, str] = {}  # set for each document by MarkdownRenderer.render

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[Element | None, int | None, int | None]:  # noqa: N802
        labels = CITATION.findall(m.group(0))
        if not any(label in self.numbers for label in labels):
            return None, None, None
        group = Element("span", {"class": "cites"})
        group.text = ""
        marker = None
        for label in labels:
            number = self.numbers.get(label)
            if number is None:  # not a source of this page: kept as written
                unknown = util.AtomicString(f"[^{label}]")
                if marker is None:
                    group.text = util.AtomicString(group.text + unknown)
                else:
                    marker.tail = util.AtomicString((marker.tail or "") + unknown)
                continue
            marker = Element("a", {"class": "cite", "href": f"#source-{number}"})
            marker.text = util.AtomicString(f"[{number}]")  # atomic: not read again as a link
            group.append(marker)
        return group, m.start(0), m.end(0)


class _NoRawHtml(Extension):
    """Treat raw HTML as text, so it is shown escaped instead of reaching the page."""

    def __init__(self, base_path: str) -> None:
        super().__init__()
        self.base_path = base_path

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - the API's name
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.inlinePatterns.register(_Citations(), "citations", 175)  # before links read the '['
        md.treeprocessors.register(_LinkPolicy(md, self.base_path), "link_policy", 0)
        md.treeprocessors.register(_ShiftHeadings(md), "shift_headings", 1)
        md.treeprocessors.register(_ScrollableTables(md), "scrollable_tables", 2)


class MarkdownRenderer:
    """Render Markdown documents one at a time, resetting state between them."""

    def __init__(self, base_path: str = "/") -> None:
        self._md = markdown.Markdown(
            extensions=["tables", "sane_lists", "smarty", _NoRawHtml(base_path)],
            output_format="html",
        )

    def render(self, text: str, citations: dict[str, str] | None = None, shift_headings: int = 0) -> str:
        """Render text; citations maps a source id to its number in the page's list of sources.

        `[^id]` becomes the marker `[number]` linking to `#source-number` (the list is the page's,
        see templates/_macros.html source_list). shift_headings moves every heading down that many
        levels (## becomes h3 with 1).
        """
        self._md.reset()
        self._md.treeprocessors["shift_headings"].shift = shift_headings
        self._md.inlinePatterns["citations"].numbers = citations or {}
        with time_limit(RENDER_SECONDS, lambda: RenderTooSlowError(RENDER_SECONDS)):
            return self._md.convert(text)


RENDER_SECONDS = 4.0
"""The longest one document may take to render (body_limits.py keeps real and hostile text far below)."""


class RenderTooSlowError(Exception):
    """A document took longer than RENDER_SECONDS to render."""

"""Markdown to HTML, in one place: footnote citations, no raw HTML, only safe link targets.

Everything else in the generator calls render_markdown(), so the engine could be swapped
without touching templates or stages.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

import markdown
from markdown import util
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from . import urls

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


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


class _NoRawHtml(Extension):
    """Treat raw HTML as text, so it is shown escaped instead of reaching the page."""

    def __init__(self, base_path: str) -> None:
        super().__init__()
        self.base_path = base_path

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - the API's name
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_LinkPolicy(md, self.base_path), "link_policy", 0)
        md.treeprocessors.register(_ShiftHeadings(md), "shift_headings", 1)
        md.treeprocessors.register(_ScrollableTables(md), "scrollable_tables", 2)


class MarkdownRenderer:
    """Render Markdown documents one at a time, resetting state between them."""

    def __init__(self, base_path: str = "/") -> None:
        self._md = markdown.Markdown(
            extensions=["footnotes", "tables", "sane_lists", "smarty", _NoRawHtml(base_path)],
            extension_configs={"footnotes": {"BACKLINK_TITLE": "Back to text for citation %d", "SEPARATOR": "-"}},
            output_format="html",
        )

    def render(self, text: str, footnotes: dict[str, str] | None = None, shift_headings: int = 0) -> str:
        """Render text; footnotes maps a citation label to its definition (Markdown).

        shift_headings moves every heading down that many levels (## becomes h3 with 1).
        """
        self._md.reset()
        self._md.treeprocessors["shift_headings"].shift = shift_headings
        if footnotes:
            # Definitions go in order of first citation, so the numbers run 1, 2, 3 down the text.
            cited = dict.fromkeys(re.findall(r"\[\^([^\]\s[]+)\]", text))
            definitions = [f"[^{label}]: {footnotes[label]}" for label in cited if label in footnotes]
            if definitions:
                text = text.rstrip("\n") + "\n\n" + "\n".join(definitions) + "\n"
        return self._md.convert(text)


def escape_markdown(text: str) -> str:
    """Escape characters Markdown would treat as markup."""
    return _MD_SPECIAL.sub(r"\\\1", text)

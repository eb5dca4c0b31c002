"""One gate for every address the site prints, decided on what a browser will see.

A browser decodes character references in an attribute (`&#106;` is `j`, `&colon;` is
`:`), then its URL parser drops leading and trailing spaces and control characters and
every tab and newline, and reads a backslash as a slash in http(s) and relative addresses.
So `&#106;ava&Tab;script:` runs as `javascript:`, and `/\\evil.example/` leaves the site
like `//evil.example/`. Every address is judged after those steps: only http, https and
mailto addresses and addresses on this site pass.
"""

from __future__ import annotations

import html
import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https", "mailto")
# A character reference as an HTML parser reads it in an attribute (with its ';').
_REFERENCE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[0-9a-zA-Z]+);")
_CONTROLS = re.compile(r"[\x00-\x20\x7f]")  # C0 controls, space and DEL: never part of a scheme
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_HTTP = re.compile(r"^https?://")
_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})  # controls, format characters (U+200B, U+FEFF), spaces
WELL_FORMED = "write a full address such as https://example.org/page"


def decode_references(value: str) -> str:
    """Decode the character references an HTML parser would decode in an attribute value."""
    previous = None
    while previous != value and "&" in value:
        previous, value = value, _REFERENCE.sub(lambda m: html.unescape(m.group(0)), value)
    return value


def browser_view(target: str, decode: bool = True) -> str:
    """Return target as a URL parser reads it: references decoded, controls gone, backslashes as slashes."""
    if decode:
        target = decode_references(target)
    return _CONTROLS.sub("", target).replace("\\", "/")


def refusal(target: str, decode: bool = True) -> str | None:
    """Return why target may not be printed as a link, or None when it may.

    decode=True for text an HTML serializer passes through with its character references
    (Markdown); decoding more than a browser would only makes the gate stricter.
    """
    seen = browser_view(target, decode)
    match = _SCHEME.match(seen)
    if match is not None:
        scheme = match.group(1).lower()
        if scheme in ALLOWED_SCHEMES:
            return None
        return (
            f"a link to a '{scheme}:' address is not allowed; "
            "use an https:// address, a mailto: address or a path on this site"
        )
    if seen.startswith("//"):
        return "this address would leave the site (a browser reads it as '//…'); write the full https:// address"
    return None


def is_allowed(target: str, decode: bool = True) -> bool:
    """Return True when target may be printed as a link."""
    return refusal(target, decode) is None


def attribute_value(target: str) -> str:
    """Return the browser's view of target written so that an HTML serializer cannot change it.

    Python-Markdown's serializer keeps anything shaped like a character reference, so every
    '&' is written as '&amp;': the browser then decodes exactly the text that was checked.
    """
    return _CONTROLS.sub("", decode_references(target)).replace("&", "&amp;")


def address_problem(value: str) -> str | None:
    """Say what is wrong with an http(s) address a field or setting holds, or None when it is well formed.

    It must have no space or invisible character, and a host name (or an IP address in
    brackets) and port that urllib and browsers read the same way.
    """
    for position, char in enumerate(value, 1):
        if char.isspace() or unicodedata.category(char) in _INVISIBLE:
            what = "a space" if char == " " else f"an invisible or blank character (U+{ord(char):04X})"
            return (
                f"the address holds {what} at character {position}; delete it (write a space as %20), and {WELL_FORMED}"
            )
    if not _HTTP.match(value):
        return f"the address must start with https:// or http://; {WELL_FORMED}"
    try:
        parts = urlsplit(value)
        host, port = parts.hostname, parts.port
    except ValueError as err:
        if "Port" in str(err):
            return f"the port after ':' must be a number from 1 to 65535; {WELL_FORMED}, or leave the port out"
        return f"the host name is malformed (a '[' or ']' out of place, or not an IP address); {WELL_FORMED}"
    if not host:
        return f"the address has no host name after '//'; {WELL_FORMED}"
    if port == 0:
        return f"the port after ':' must be a number from 1 to 65535; {WELL_FORMED}, or leave the port out"
    if not _host_ok(host, bracketed="[" in parts.netloc):
        return f"'{host}' is not a valid host name; {WELL_FORMED}"
    return None


def _host_ok(host: str, bracketed: bool) -> bool:
    """Return True for an IPv6 address in brackets, an IPv4 address, or a name of dot-separated labels."""
    if bracketed:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if all(label.isdigit() for label in labels):
        try:
            ipaddress.IPv4Address(host.rstrip("."))
        except ValueError:
            return False
        return True
    return len(host) <= 253 and all(_label_ok(label) for label in labels)


def _label_ok(label: str) -> bool:
    """Return True for one label of a host name: 1-63 letters, digits, '-' or '_', not starting or ending with '-'."""
    return (
        0 < len(label) <= 63
        and not label.startswith("-")
        and not label.endswith("-")
        and all(char.isalnum() or char in "-_" for char in label)
    )

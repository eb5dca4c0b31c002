"""`build.py new`: start an incident file from the commented template, correctly named."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

TEMPLATE = Path("templates") / "new-incident.md"
MAX_SLUG = 60


class NewIncidentError(Exception):
    """A new incident file cannot be written; the message says why and what to do."""


@dataclass(frozen=True)
class NewIncident:
    """What a contributor gives for a new incident."""

    date: dt.date
    city: str
    title: str


def slugify(text: str, limit: int = MAX_SLUG) -> str:
    """Turn text into lower-case words joined by hyphens, cut at a word within limit characters."""
    # An apostrophe joins its word ("Lee's Summit" -> lees-summit, as the importer names files).
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().replace("'", "")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug or (words[0][:limit] if words else "")


def file_name(incident: NewIncident) -> str:
    """Return YYYY-MM-DD-<city>-<slug>.md like the files already there, the slug from the title.

    A title that starts with the city ("Kansas City officer fires ...") does not repeat it.
    """
    city = [word for word in slugify(incident.city).split("-") if word]
    title = [word for word in slugify(incident.title, limit=len(incident.title) * 4).split("-") if word]
    if city and title[: len(city)] == city:
        title = title[len(city) :]
    slug = slugify(" ".join(city + title))
    if not slug:
        raise NewIncidentError("the title and city have no letters or digits to name the file with; use plain words")
    return f"{incident.date.isoformat()}-{slug}.md"


def yaml_text(value: str) -> str:
    """Return value as a YAML scalar: plain when YAML reads it back unchanged, else double-quoted."""
    try:
        if yaml.safe_load(f"key: {value}") == {"key": value} and "#" not in value:
            return value
    except yaml.YAMLError:
        pass
    return json.dumps(value, ensure_ascii=False)


def fill_template(template: str, incident: NewIncident, today: dt.date) -> str:
    """Fill the title, date, city and updated lines of the template; leave every other placeholder."""
    replacements = (
        (r"^title: .*$", f"title: {yaml_text(incident.title)}"),
        (r"^date: .*$", f"date: {incident.date.isoformat()}"),
        (r"^  city: .*$", f"  city: {yaml_text(incident.city)}"),
        (r"^updated: .*$", f"updated: {today.isoformat()}"),
    )
    for pattern, line in replacements:
        template, count = re.subn(pattern, lambda _match, line=line: line, template, count=1, flags=re.MULTILINE)
        if count != 1:
            raise NewIncidentError(f"{TEMPLATE.as_posix()} has no line matching {pattern!r}; restore the template")
    return template


def parse_date(text: str) -> dt.date:
    """Read a YYYY-MM-DD date, or raise NewIncidentError saying what to write."""
    text = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise NewIncidentError(f"date: expected YYYY-MM-DD, like 2024-11-07; got {text!r}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise NewIncidentError(f"date: {text} is not a real date; check the month and day") from None


def create(root: Path, incident: NewIncident, today: dt.date) -> Path:
    """Write the new incident file under root/content/incidents/; refuse to overwrite one."""
    template = (root / TEMPLATE).read_text(encoding="utf-8")
    text = fill_template(template, incident, today)
    folder = root / "content" / "incidents"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(incident)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        rel = path.relative_to(root).as_posix()
        raise NewIncidentError(
            f"{rel} already exists; edit that file, or give a different title to start another incident"
        ) from None
    return path


def ask(
    given: dict[str, str | None],
    read: Callable[[str], str] | None = None,
    write: Callable[[str], object] = print,
) -> NewIncident:
    """Ask for each missing value in turn, asking again until it is usable."""
    read = read or input
    prompts = {
        "date": "Date of the incident (YYYY-MM-DD): ",
        "city": "City where it happened: ",
        "title": "A neutral one-line headline, in your own words: ",
    }
    values: dict[str, str] = {}
    date = None
    for key, prompt in prompts.items():
        value = given.get(key)
        while True:
            if value is None:
                value = read(prompt)
            value = value.strip()
            if key == "date":
                try:
                    date = parse_date(value)
                except NewIncidentError as error:
                    write(str(error))
                    value = None
                    continue
            if not value:
                write(f"{key}: please write something")
                value = None
                continue
            break
        values[key] = value
    assert date is not None
    return NewIncident(date, values["city"], values["title"])


def from_flags(date: str | None, city: str | None, title: str | None) -> NewIncident:
    """Build the new incident from flags alone; raise NewIncidentError naming what is missing."""
    missing = [f"--{name}" for name, value in (("date", date), ("city", city), ("title", title)) if not value]
    if missing:
        raise NewIncidentError(
            f"missing {', '.join(missing)}; give all three, e.g. "
            'python build.py new --date 2024-11-07 --city Independence --title "Officer fires at man in parking lot" '
            "(or make new DATE=... CITY=... TITLE=...), or run it in a terminal to be asked"
        )
    assert date is not None and city is not None and title is not None
    return NewIncident(parse_date(date), city.strip(), title.strip())


def run(root: Path, date: str | None, city: str | None, title: str | None, today: dt.date | None = None) -> int:
    """Run `build.py new`: ask or read flags, write the file, say what to do next; return the exit status."""
    today = today or dt.date.today()
    try:
        if sys.stdin.isatty() and not (date and city and title):
            incident = ask({"date": date, "city": city, "title": title})
        else:
            incident = from_flags(date, city, title)
    except NewIncidentError as error:
        print(f"build.py new: {error}", file=sys.stderr)
        return 2
    except (EOFError, KeyboardInterrupt):
        print("\nbuild.py new: stopped; no file was written", file=sys.stderr)
        return 2
    try:
        path = create(root, incident, today)
    except NewIncidentError as error:
        print(f"build.py new: {error}", file=sys.stderr)
        return 1
    rel = path.relative_to(root).as_posix()
    print(f"Created {rel}")
    print("Next: replace every REPLACE in it, fill in the empty fields, then run `make check` until it passes.")
    print("Every field is explained in content/pages/fields.md.")
    return 0

"""Generated incidents for the database and data package tests: seeded, varied, and valid."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from tests.conftest import SMALL_SITE, copy_project

OUTCOMES = ("killed", "injured", "uninjured", "unknown")
SEED = 15


def marker(n: int) -> str:
    """Return a word that appears only in the narrative of generated incident n."""
    return f"kcmark{n:04d}"


def incident_text(n: int, rng: random.Random) -> tuple[str, str]:
    """Return the file name and text of generated incident n."""
    date = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(5 * 365))
    source = f"gazette-{n}"
    people = "".join(
        f"  - {{role: civilian, description: adult, outcome: {rng.choice(OUTCOMES)}, sources: [{source}]}}\n"
        for _ in range(rng.randrange(4))
    )
    reviewing = "  - {id: example-prosecutor, role: reviewing}\n" if rng.random() < 0.5 else ""
    disputed = (
        "disputed:\n  - topic: How many officers fired\n    claims:\n"
        f"      - {{text: One officer fired., sources: [{source}]}}\n"
        f"      - {{text: Two officers fired., sources: [{source}]}}\n"
        if rng.random() < 0.4
        else ""
    )
    text = (
        "---\n"
        f"title: Generated incident number {n}\n"
        f"summary: A generated incident for the tests, number {n}.\n"
        f"date: {date.isoformat()}\n"
        "location: {city: Example, state: MO, precision: city}\n"
        "types: [police-shooting]\n"
        "agencies:\n  - {id: example-pd, role: involved}\n"
        + reviewing
        + ("people:\n" + people if people else "")
        + "sources:\n"
        f"  - {{id: {source}, publisher: Example Gazette, title: Report {n}, published: {date.isoformat()}}}\n"
        "timeline:\n"
        f"  - {{date: {date.isoformat()}, text: Officers are called., sources: [{source}]}}\n"
        f"{disputed}"
        f"updated: {date.isoformat()}\n"
        "---\n"
        f"Police say officers were called ({marker(n)}).[^{source}]\n"
    )
    return f"{date.isoformat()}-generated-{n}.md", text


def generated_project(target: Path, count: int = 30, seed: int = SEED) -> Path:
    """Write the small fixture project plus count generated incidents into target."""
    root = copy_project(SMALL_SITE, target)
    rng = random.Random(seed)
    for n in range(count):
        name, text = incident_text(n, rng)
        (root / "content" / "incidents" / name).write_text(text, encoding="utf-8")
    return root

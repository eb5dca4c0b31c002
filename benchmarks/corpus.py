"""A large synthetic project for the benchmarks: N incidents made from one fixture incident.

    from benchmarks.corpus import generate   # or, from a script in benchmarks/: from corpus import generate
    paths = generate(Path("/tmp/project"), 10_000)

The project has the repository's templates, static files and site.yaml, the test fixture's pages
and agencies plus four more police departments, and `count` copies of the fixture's
2024-03-05 shooting spread evenly over 2015-2024 (every date in the file moved with it), each
with its own number in its title and body, its agencies rotated over the five departments.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "site"
SAMPLE = FIXTURE / "content" / "incidents" / "2024-03-05-example-shooting.md"
DEPARTMENTS = ["example-pd", "north-pd", "south-pd", "east-pd", "west-pd"]
START = dt.date(2015, 1, 1)


def generate(root: Path, count: int) -> list[Path]:
    """Write a project with count incidents into root; return the incident files."""
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "static", root / "static")
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    shutil.copytree(FIXTURE / "content" / "pages", root / "content" / "pages")
    agencies = root / "content" / "agencies"
    shutil.copytree(FIXTURE / "content" / "agencies", agencies)
    department = (agencies / "example-pd.md").read_text(encoding="utf-8")
    for slug in DEPARTMENTS[1:]:
        name = slug.split("-")[0].capitalize()
        text = department.replace("Example Police Department", f"{name} Police Department").replace("EPD", "PD")
        (agencies / f"{slug}.md").write_text(text.replace("City of Example", f"City of {name}"), encoding="utf-8")
    sample = SAMPLE.read_text(encoding="utf-8")
    folder = root / "content" / "incidents"
    folder.mkdir(parents=True)
    paths = []
    for number in range(count):
        day = START + dt.timedelta(days=number * 3650 // count)
        text = sample
        for offset in (3, 2, 1, 0):  # later dates first, so one replacement does not feed the next
            old = (dt.date(2024, 3, 5) + dt.timedelta(days=offset)).isoformat()
            text = text.replace(old, (day + dt.timedelta(days=offset)).isoformat())
        agency = DEPARTMENTS[number % len(DEPARTMENTS)]
        text = text.replace("id: example-pd", f"id: {agency}").replace("lead: example-pd", f"lead: {agency}")
        text = text.replace("Officer fires at man", f"Officer fires at man ({number})")
        text = text.replace("Officers were called", f"In case {number}, officers were called")
        path = folder / f"{day.isoformat()}-synthetic-{number}.md"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def keep_or_remove(work: Path, keep: bool) -> None:
    """Keep a benchmark's generated project (--keep), saying where, or remove it."""
    if keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)

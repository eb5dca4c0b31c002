"""Import The Washington Post's Fatal Force data for the Kansas City area as incidents not yet reviewed.

One incident file per row in the area and one agency file per agency the record lacks. Rows are
chosen by the area's rules (wapo_area.py); each choice can be explained (`--explain`). Running
the same import again writes nothing: a file is rewritten only when its row changed, and then
its `updated` and `imported.dataset_version` become the new dataset version. A file a curator
edited or marked reviewed is never overwritten. Every row that cannot be imported is reported
as `path:line: column: message`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kcrecord.content.area import COUNTIES_FILE, PLACES_FILE, Area, load_area, load_places
from kcrecord.content.check_fields import EARLIEST_DATE
from kcrecord.engine.progress import Progress, stage, tracked
from kcrecord.importers.wapo_area import AreaSelector, Decision
from kcrecord.importers.wapo_privacy import name_hashes, surname_counts, update_hashes
from kcrecord.importers.wapo_read import (
    Record,
    Row,
    WapoAgency,
    parse_date,
    parse_id,
    parse_row,
    read_agencies,
    read_csv,
)
from kcrecord.importers.wapo_reconcile import Curated, Existing, _rel, place_file, read_existing
from kcrecord.importers.wapo_values import COLUMNS
from kcrecord.importers.wapo_write import agency_text, incident_slug, incident_text, slugify

EVERYWHERE = Decision(True, "everywhere", "every row: --all-areas")


@dataclass
class Options:
    """What to import and where to write it."""

    data: Path
    agencies: Path
    content: Path
    agency_map: Path | None = None
    area: bool = True  # only rows in the Kansas City area
    area_file: Path = COUNTIES_FILE
    places_file: Path = PLACES_FILE
    state: str | None = None
    county: str | None = None
    city: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    dataset_version: dt.date | None = None
    minor_hashes: Path | None = None


@dataclass
class Report:
    """What an import did, row by row and file by file."""

    rows: int = 0
    matched: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    explain: list[str] = field(default_factory=list)
    confirm: list[str] = field(default_factory=list)
    per_county: Counter[str] = field(default_factory=Counter)
    left_out: Counter[str] = field(default_factory=Counter)
    agencies_created: list[str] = field(default_factory=list)
    agencies_updated: list[str] = field(default_factory=list)
    agencies_unchanged: list[str] = field(default_factory=list)
    agencies_existing: list[str] = field(default_factory=list)
    version: dt.date | None = None

    @property
    def not_imported(self) -> list[str]:
        """Return the problems: rows (or files) that could not be imported."""
        return self.problems

    def lines(self, verbose: bool = False, explain: bool = False) -> list[str]:
        """Return the report as lines: problems, files kept and rows to confirm always; more on request."""
        out = list(self.explain) if explain else []
        if verbose:
            out += [f"{path}: created" for path in self.created + self.agencies_created]
            out += [f"{path}: updated" for path in self.updated + self.agencies_updated]
            out += [f"{path}: unchanged" for path in self.unchanged + self.agencies_unchanged]
        out += self.problems + self.linked + self.kept + self.notes
        if self.confirm:
            noun = "row" if len(self.confirm) == 1 else "rows"
            out.append(
                f"{len(self.confirm)} {noun} to confirm by hand (near the area's edge, or columns that disagree):"
            )
            out += [f"  {line}" for line in self.confirm]
        if self.per_county:
            counts = ", ".join(f"{county} {n}" for county, n in sorted(self.per_county.items()))
            out.append(f"In the area, by county: {counts}.")
        if self.left_out:
            counts = "; ".join(f"{n} {reason}" for reason, n in sorted(self.left_out.items(), key=lambda kv: -kv[1]))
            out.append(f"Left out: {counts}.")
        version = f" (dataset version {self.version.isoformat()})" if self.version else ""
        out.append(
            f"Read {self.rows} rows{version}; {self.matched} selected: {len(self.created)} created, "
            f"{len(self.updated)} updated, {len(self.unchanged)} unchanged, {len(self.linked)} linked to "
            f"curated incidents, {len(self.kept)} kept (reviewed or edited by a curator), "
            f"{len(self.problems)} problems."
        )
        out.append(
            f"Agencies: {len(self.agencies_created)} created, {len(self.agencies_updated)} updated, "
            f"{len(self.agencies_unchanged)} unchanged, {len(self.agencies_existing)} already in the record."
        )
        return out


def read_agency_map(path: Path | None) -> tuple[dict[int, str], list[str]]:
    """Read the committed table mapping WaPo agency ids to existing agency files."""
    if path is None or not path.is_file():
        return {}, []
    records, problems = read_csv(path, ("wapo_id", "agency"))
    mapped, bad = {}, [str(problem) for problem in problems]
    for record in records:
        agency_id = parse_id(record.cells["wapo_id"])
        if agency_id is None or not record.cells["agency"]:
            bad.append(f"{path}:{record.line}: wapo_id: expected a WaPo agency id and an agency file id")
            continue
        mapped[agency_id] = record.cells["agency"]
    return mapped, bad


def _place_key(text: str) -> str:
    text = text.casefold().replace("’", "'").strip()
    return text.removesuffix(" county").strip()


def _filtered_out(raw: dict[str, str], options: Options) -> bool:
    if options.state and raw["state"].upper() != options.state.upper():
        return True
    if options.county and _place_key(raw["county"]) != _place_key(options.county):
        return True
    if options.city and _place_key(raw["city"]) != _place_key(options.city):
        return True
    date = parse_date(raw["date"])
    return date is not None and (
        (options.since is not None and date < options.since) or (options.until is not None and date > options.until)
    )


def _county_note(row: Row, decision: Decision) -> str | None:
    """Say how the county was placed when the dataset leaves it blank and the coordinates decided."""
    if row.county or decision.rule != "coordinates":
        return None
    name, state = decision.counties[0].rsplit(", ", 1)
    return (
        f"The dataset leaves the county blank; its coordinates fall inside {name} County, {state} "
        "(by the Census Bureau's 2016 county boundaries)."
    )


class _Agencies:
    """Agency files: mapped ones reused, imported ones kept up to date, missing ones created."""

    def __init__(self, agencies: dict[int, WapoAgency], mapped: dict[int, str], files: list[Existing]) -> None:
        self.agencies = agencies
        self.mapped = mapped
        self.files = {item.path.stem: item for item in files}
        self.imported = {aid: item for item in files if (aid := item.imported_id) is not None}
        base = {aid: slugify(f"{a.name} {a.state}") for aid, a in agencies.items()}
        counts = Counter(base.values())
        self.base = {aid: slug if counts[slug] == 1 else f"{slug}-wapo-{aid}" for aid, slug in base.items()}
        self.done: dict[int, str] = {}

    def slug(self, agency_id: int, version: dt.date, content: Path, report: Report) -> str:
        """Return the agency file id for a WaPo agency, writing the file when the record lacks it."""
        if agency_id in self.done:
            return self.done[agency_id]
        agency = self.agencies[agency_id]
        if agency_id in self.mapped:
            slug = self.mapped[agency_id]
        elif agency_id in self.imported:
            slug = self.imported[agency_id].path.stem
        else:
            slug = self.base[agency_id]
            if slug in self.files and self.files[slug].imported_id != agency_id:
                slug = f"{slug}-wapo-{agency_id}"
        self.done[agency_id] = slug
        existing = self.files.get(slug)
        path = content / "agencies" / f"{slug}.md"
        rel = _rel(path, content.parent)
        if existing is not None and existing.imported_id != agency_id:
            report.agencies_existing.append(rel)  # a curated file: never touched
            return slug
        outcome = place_file(path, lambda v: agency_text(agency, v), version, existing, content.parent)
        if outcome.action == "created":  # another WaPo id mapped to the same file now finds it
            self.files[slug] = Existing(
                path, path.read_text(encoding="utf-8"), {"imported": {"source": "wapo", "id": agency_id}}
            )
        {
            "created": report.agencies_created,
            "updated": report.agencies_updated,
            "unchanged": report.agencies_unchanged,
            "kept": report.kept,
        }[outcome.action].append(outcome.message or rel)
        return slug


def run_import(options: Options, progress: Progress | None = None) -> Report:
    """Import the selected rows into options.content; return what was done (progress: shown on a terminal)."""
    report = Report()
    agencies, agency_problems = read_agencies(options.agencies)
    report.problems += [str(problem) for problem in agency_problems]
    records, row_problems = read_csv(options.data, COLUMNS)
    report.problems += [str(problem) for problem in row_problems]
    report.rows = len(records) + len({p.line for p in row_problems})
    version = options.dataset_version or max(  # the latest date a row may have: never one outside the range
        (
            date
            for record in records
            if (date := parse_date(record.cells["date"])) is not None and EARLIEST_DATE <= date <= dt.date.today()
        ),
        default=dt.date(1970, 1, 1),
    )
    report.version = version
    if options.minor_hashes is not None:
        _record_minors(records, options.minor_hashes, report)
    content, root = options.content, options.content.parent
    with stage(progress, "Reading the record"):
        existing, existing_problems = read_existing(content / "incidents", root)
        agency_files, agency_file_problems = read_existing(content / "agencies", root)
    report.problems += existing_problems + agency_file_problems
    imported: dict[int, Existing] = {}
    for item in existing:
        if item.imported_id is not None:
            imported.setdefault(item.imported_id, item)
    curated = Curated([item for item in existing if "imported" not in item.meta])
    mapped, map_problems = read_agency_map(options.agency_map)
    report.problems += map_problems
    agency_files_by_id = _Agencies(agencies, mapped, agency_files)
    selector = (
        AreaSelector(Area(load_area(options.area_file)), load_places(options.places_file)) if options.area else None
    )

    # Rows that share a date and coordinates may be one incident with several deaths.
    places: dict[tuple, list[int]] = {}
    for record in records:
        raw, row_id = record.cells, parse_id(record.cells["id"])
        if raw["latitude"] and raw["longitude"] and row_id is not None:
            places.setdefault((raw["date"], raw["latitude"], raw["longitude"]), []).append(row_id)
    all_ids = {row_id for record in records if (row_id := parse_id(record.cells["id"])) is not None}
    seen_ids: dict[str, int] = {}
    selected_ids: set[int] = set()
    for record in tracked(progress, "Importing rows", records, "rows"):
        raw, where = record.cells, f"{options.data}:{record.line}"
        decision = selector.decide(raw) if selector else EVERYWHERE
        report.explain.append(f"{where}: id {raw['id']}: {decision}")
        if decision.confirm:
            report.confirm.append(f"{where}: id {raw['id']}: {decision}: {decision.confirm}")
        if not decision.included:
            report.left_out[_out_reason(decision)] += 1
            continue
        if _filtered_out(raw, options):
            report.left_out["outside the --state/--county/--city/--since/--until filters"] += 1
            continue
        report.matched += 1
        row, errors = parse_row(record, agencies)
        if raw["id"] and raw["id"] in seen_ids:
            errors.append(("id", f"{raw['id']} is also the id of the row on line {seen_ids[raw['id']]}"))
            row = None
        seen_ids.setdefault(raw["id"], record.line)
        if row is None:
            report.problems += [f"{where}: {column}: {message}" for column, message in errors]
            continue
        selected_ids.add(row.id)
        report.per_county[decision.counties[0] if len(decision.counties) == 1 else _several(decision)] += 1
        _import_row(row, decision, places, curated, imported, agency_files_by_id, version, options, report)
    for row_id, item in sorted(imported.items()):
        rel = _rel(item.path, root)
        if row_id not in all_ids:
            report.notes.append(f"{rel}: WaPo id {row_id} is no longer in the dataset; left in place for a curator")
        elif row_id not in selected_ids and options.area and not _any_filter(options):
            report.notes.append(f"{rel}: WaPo id {row_id} is now outside the area; left in place for a curator")
    return report


def _any_filter(options: Options) -> bool:
    return bool(options.state or options.county or options.city or options.since or options.until)


def _several(decision: Decision) -> str:
    if not decision.counties:
        return "county not applicable (--all-areas)"
    return f"county not known ({' or '.join(decision.counties)})"


OUT_REASONS = {
    "county column": "with a county column outside the area",
    "coordinates": "with no county and coordinates outside the area",
    "city name": "with no county or coordinates, and a city not in the area",
    "nothing": "with no county, coordinates or city",
}


def _out_reason(decision: Decision) -> str:
    return OUT_REASONS.get(decision.rule, decision.rule)


def _import_row(
    row: Row,
    decision: Decision,
    places: dict[tuple, list[int]],
    curated: Curated,
    imported: dict[int, Existing],
    agency_files: _Agencies,
    version: dt.date,
    options: Options,
    report: Report,
) -> None:
    content, root = options.content, options.content.parent
    where = f"{options.data}:{row.line}"
    match = curated.match(row)
    if match is not None:
        item, why = match
        message = f"{where}: WaPo id {row.id} is already in the record as {_rel(item.path, root)} ({why}); not imported"
        if why != "listed in its wapo_ids":
            message += f". If it is the same incident, add wapo_ids: [{row.id}] to that file"
        if row.id in imported:
            message += f"; the earlier import {_rel(imported[row.id].path, root)} can be deleted"
        report.linked.append(message)
        return
    # Two WaPo ids can name one agency of the record (imports/wapo-agencies.csv): list it once.
    slugs = list(dict.fromkeys(agency_files.slug(aid, version, content, report) for aid in row.agency_ids))
    key = (row.date.isoformat(), row.latitude, row.longitude)
    siblings = sorted(other for other in places.get(key, []) if other != row.id) if row.latitude else []
    note = _county_note(row, decision)
    target = content / "incidents" / f"{incident_slug(row)}.md"
    outcome = place_file(
        target, lambda v: incident_text(row, slugs, v, siblings, note), version, imported.get(row.id), root
    )
    rel = _rel(target, root)
    if outcome.action == "updated" and outcome.message:
        report.notes.append(outcome.message)
    {"created": report.created, "updated": report.updated, "unchanged": report.unchanged, "kept": report.kept}[
        outcome.action
    ].append(rel if outcome.action != "kept" else f"{where}: {outcome.message}")


def _record_minors(records: list[Record], path: Path, report: Report) -> None:
    """Add the hashed names of every person under 18 in the data file to the committed hash file."""
    counts = surname_counts(record.cells["name"] for record in records if record.cells["name"])
    hashes: set[tuple[str, str]] = set()
    for record in records:
        age = parse_id(record.cells["age"])
        if age is not None and age < 18 and record.cells["name"]:
            hashes |= name_hashes(record.cells["name"], counts)
    added = update_hashes(path, hashes)
    if added:
        report.notes.append(f"{path}: added {added} hashes of names of minors")

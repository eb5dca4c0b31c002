"""data/datapackage.json: every CSV described (types, keys, missing values, licences, sources); Frictionless agrees."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
from pathlib import Path

import frictionless
import pytest

from kcrecord.content.assemble import assemble
from kcrecord.content.load import load_content
from kcrecord.engine.pipeline import Project, build
from kcrecord.outputs import datapackage
from kcrecord.outputs.columns import Column
from kcrecord.outputs.csv_tables import TABLES
from tests.record_factory import generated_project


@pytest.fixture(scope="module")
def generated_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the small site plus generated incidents once; return its output folder."""
    root = generated_project(tmp_path_factory.mktemp("package") / "project", 25, seed=3)
    build(Project(root, root / "site"), search=False)
    return root / "site"


def errors_of(package: Path) -> list[str]:
    """Return every error Frictionless finds in the package and its files, as 'resource: type: message'."""
    report = frictionless.validate(str(package))
    found = [f"package: {error.type}: {error.message}" for error in report.errors]
    return found + [f"{task.name}: {error.type}: {error.message}" for task in report.tasks for error in task.errors]


def test_the_package_and_its_csvs_are_valid(generated_site: Path) -> None:
    assert errors_of(generated_site / "data" / "datapackage.json") == []


def test_the_real_sites_package_is_valid(real_site: Path) -> None:
    assert errors_of(real_site / "data" / "datapackage.json") == []


def test_every_csv_header_is_a_described_field_of_the_right_type(generated_site: Path) -> None:
    data = generated_site / "data"
    package = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["path"]: r for r in package["resources"]}
    assert sorted(resources) == sorted(p.name for p in data.glob("*.csv"))
    for path, resource in resources.items():
        header = next(csv.reader(io.StringIO((data / path).read_text(encoding="utf-8"))))
        fields = resource["schema"]["fields"]
        assert [f["name"] for f in fields] == header, path
        assert all(f["description"].strip() for f in fields), path
        assert resource["schema"]["primaryKey"] and resource["schema"]["missingValues"] == [""]
    incidents = {f["name"]: f for f in resources["incidents.csv"]["schema"]["fields"]}
    assert (incidents["date"]["type"], incidents["people"]["type"], incidents["latitude"]["type"]) == (
        "date",
        "integer",
        "number",
    )
    assert incidents["time_approximate"]["trueValues"] == ["true"]
    references = {
        fk["reference"]["resource"] for r in package["resources"] for fk in r["schema"].get("foreignKeys", [])
    }
    assert references == {"incidents", "agencies"}
    assert package["licenses"][0]["path"].startswith("https://creativecommons.org/")
    assert package["sources"][0]["path"].startswith("https://github.com/")


def test_a_column_added_without_a_description_stops_the_package(
    generated_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    undocumented = Column("new_column", "text", "", lambda r: "x")
    tables = (dataclasses.replace(TABLES[0], columns=(*TABLES[0].columns, undocumented)), *TABLES[1:])
    monkeypatch.setattr(datapackage, "TABLES", tables)
    content, _ = load_content(generated_site.parent)
    with pytest.raises(
        datapackage.UndescribedColumnError, match="incidents.csv: column 'new_column' has no description"
    ):
        datapackage.datapackage(assemble(content))


def test_frictionless_rejects_a_csv_column_the_package_does_not_describe(generated_site: Path, tmp_path: Path) -> None:
    data = shutil.copytree(generated_site / "data", tmp_path / "data")
    rows = list(csv.reader(io.StringIO((data / "people.csv").read_text(encoding="utf-8"))))
    rows = [[*row, "extra" if n == 0 else "x"] for n, row in enumerate(rows)]
    with (data / "people.csv").open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    assert any(e.startswith("people: extra-label") for e in errors_of(data / "datapackage.json"))


def test_frictionless_rejects_a_value_of_the_wrong_type_and_a_broken_key(generated_site: Path, tmp_path: Path) -> None:
    data = shutil.copytree(generated_site / "data", tmp_path / "data")
    rows = list(csv.reader(io.StringIO((data / "people.csv").read_text(encoding="utf-8"))))
    rows[1][0] = "no-such-incident"  # incident_slug: not in incidents.csv
    rows[1][2] = "first"  # person: not a whole number
    with (data / "people.csv").open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    types = {e.split(": ")[1] for e in errors_of(data / "datapackage.json")}
    assert {"type-error", "foreign-key"} <= types

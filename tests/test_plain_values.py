"""Dates (and other plain values) are known by their value wherever the engine fingerprints what it was handed.

An outside check found that identity() (kcrecord/engine/deps.py) gave every date the same text,
"date": the site's derived values that hold dates (the coverage of each source of records) kept
their fingerprint when site.yaml moved a coverage date, and the data and review pages stayed
stale, in make site with its cache as in the preview. These tests check the class: identity(),
the plan keys' parts and the plans' snapshots tell dates apart, and a coverage date edited in
site.yaml gives a clean build's bytes both ways.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import functools
from pathlib import Path

import pytest

from kcrecord.engine.deps import identity
from kcrecord.engine.engine import Engine
from kcrecord.engine.plan_keys import PlanKeys, plain_parts
from kcrecord.engine.plan_snapshot import plan_snapshot
from kcrecord.outputs.render import Job
from kcrecord.preview.builder import PreviewBuilder
from tests.test_incremental import BASE, assert_same_tree, clean_build, edit, finish, tree


class Colour(enum.Enum):
    RED = 1
    BLUE = 2


PAIRS = [
    (dt.date(2023, 6, 30), dt.date(2023, 12, 31)),
    (dt.datetime(2023, 1, 1, 5), dt.datetime(2023, 1, 1, 6)),
    (dt.time(5, 1), dt.time(5, 2)),
    (dt.timedelta(days=1), dt.timedelta(days=2)),
    (decimal.Decimal("1.5"), decimal.Decimal("2.5")),
    (Colour.RED, Colour.BLUE),
]


def shown(value: object) -> str:
    return f"{value}"


@pytest.mark.parametrize(("one", "other"), PAIRS, ids=[type(pair[0]).__name__ for pair in PAIRS])
def test_identity_parts_and_snapshots_tell_plain_values_apart(one: object, other: object) -> None:
    assert identity(one) != identity(other)
    assert identity({"to": [one]}) != identity({"to": [other]})
    plans = [("page.html", "x/", {"value": value}) for value in (one, other)]
    assert plain_parts(plans[0]) != plain_parts(plans[1])
    assert plan_snapshot(plans[0]) != plan_snapshot(plans[1])
    for by_objects in (False, True):  # make site's plan keys, and the preview's
        keys = PlanKeys(by_objects=by_objects)
        made = [keys(Job("x/index.html", lambda: b"", plan)) for plan in plans]
        assert made == [Job("x/index.html", lambda: b"", plan).plan_key() for plan in plans]
        assert made[0] != made[1]
    partials = [(functools.partial(shown, value),) for value in (one, other)]
    keys = PlanKeys(by_objects=True)
    assert keys(Job("y.txt", lambda: b"", partials[0])) != keys(Job("y.txt", lambda: b"", partials[1]))


def test_a_coverage_date_edited_in_site_yaml_remakes_the_pages_showing_it(small_project: Path, tmp_path: Path) -> None:
    out, cache = tmp_path / "site", tmp_path / "cache"
    assert Engine(small_project, out, BASE, cache=cache, search=False).run().ok
    builder = PreviewBuilder(small_project, BASE, workers=1)
    assert builder.build().ok
    edit(small_project, "site.yaml", "    to: 2023-06-30", "    to: 2023-12-31")
    assert builder.update([small_project / "site.yaml"]).ok
    finish(builder)
    outcome = Engine(small_project, out, BASE, cache=cache, search=False).run()  # make site, from its cache
    assert outcome.ok
    clean = clean_build(small_project, tmp_path / "clean")
    assert "December 31, 2023" in clean["data/index.html"].decode()
    assert_same_tree(tree(builder.out), clean)
    assert_same_tree(tree(out), clean)

"""incidents/index.json with each row's text kept between calls gives the bytes of one plain encoding.

index_json (kcrecord/outputs/incident_table.py) reuses the last call's numbering and row texts
when only a few rows are new objects that use the same texts (kcrecord/outputs/numbered_json.py).
Random sequences of edits, each checked against a plain numbering and one json.dumps of the whole.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random

import pytest

from kcrecord.outputs import incident_table
from kcrecord.outputs.incident_table import MEASURES, Row, index_json
from kcrecord.outputs.numbered_json import NumberedRows

SEEDS = range(40)
CITIES = ("Kansas City, MO", "Independence, MO", "Kansas City, KS", "Olathe, KS", "Raytown, MO", "Ça, MO")
AGENCIES = ("kcpd", "kckpd", "ind-pd", "jackson-so", "mshp")
TYPES = ("shooting", "use-of-force", "in-custody-death", "pursuit")
FLAGS = ("killed", "injured", "missed", "officers", "nobody", "unknown")
SOURCES = ("wapo", "hand", "kcstar", "fatal-encounters")


def plain_index_json(rows: list[Row]) -> bytes:
    """index.json as first written: texts numbered by first use, the whole document dumped once."""
    texts: dict[str, int] = {}

    def text(value: str) -> int:
        return texts.setdefault(value, len(texts))

    data = [
        [
            row.slug,
            row.title,
            text(row.city),
            text(row.agencies),
            text(row.types_text),
            text(row.outcome),
            text(row.source),
            int(row.reviewed),
            [text(a) for a in row.agency_ids],
            [text(k) for k in row.types],
            [text(f) for f in row.flags],
            [row.counts[key] for key in MEASURES],
        ]
        + ([[row.listed[key] for key in MEASURES]] if None in row.counts.values() else [])
        for row in rows
    ]
    names = {row.source: row.source_text for row in rows}
    document = {"texts": list(texts), "sources": names, "rows": data}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def random_row(rng: random.Random, number: int) -> Row:
    counts = {key: rng.choice((0, 1, 2, None)) if rng.random() < 0.3 else rng.randrange(3) for key in MEASURES}
    agencies = tuple(rng.sample(AGENCIES, rng.randrange(1, 3)))
    types = tuple(rng.sample(TYPES, rng.randrange(1, 3)))
    source = rng.choice(SOURCES)
    return Row(
        slug=f"2020-01-{number:02d}-case-{rng.randrange(10**6)}",
        date=dt.date(2020, 1, 1),
        title=rng.choice(("Officer fires", "Man shot \u201cnear\u201d a store", 'Ça \\ "quoted"', "\u2028 line")),
        city=rng.choice(CITIES),
        agency_ids=agencies,
        agencies="; ".join(agencies).upper(),
        types=types,
        types_text=", ".join(types),
        counts=counts,
        listed={key: rng.randrange(3) for key in MEASURES},
        flags=tuple(rng.sample(FLAGS, rng.randrange(0, 3))),
        outcome=rng.choice(("No one killed or injured", "1 killed", "killed: disputed or not known", "kcpd")),
        source=source,
        source_text=source.title() + rng.choice(("", " (2)")),
        reviewed=rng.random() < 0.5,
    )


def edited(rng: random.Random, rows: list[Row]) -> list[Row]:
    """Return rows after one random edit, the kinds an edit to the record gives and some it does not."""
    rows = rows[:]
    kind = rng.randrange(9)
    place = rng.randrange(len(rows)) if rows else 0
    if kind <= 2 and rows:  # a new title: the commonest in the preview, reused
        rows[place] = dataclasses.replace(rows[place], title=f"Retitled {rng.randrange(1000)}")
    elif kind == 3 and rows:  # the same texts in a new object
        rows[place] = dataclasses.replace(rows[place])
    elif kind == 4 and rows:  # another city, flag or agency: maybe another numbering
        field = rng.choice(("city", "flags", "agency_ids", "source"))
        other = random_row(rng, place)
        rows[place] = dataclasses.replace(rows[place], **{field: getattr(other, field)})
    elif kind == 5:
        rows.insert(place, random_row(rng, len(rows)))
    elif kind == 6 and rows:
        del rows[place]
    elif kind == 7 and len(rows) > 1:  # two rows swapped: the same objects, another order
        other = rng.randrange(len(rows))
        rows[place], rows[other] = rows[other], rows[place]
    elif kind == 8 and rows:  # several titles at once (over an eighth: encoded from the start)
        for at in rng.sample(range(len(rows)), rng.randrange(1, len(rows) + 1)):
            rows[at] = dataclasses.replace(rows[at], title=f"Many {at}")
    return rows


@pytest.mark.parametrize("seed", SEEDS)
def test_index_json_after_random_edits_equals_a_plain_encoding(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    numbered = NumberedRows(incident_table._row_texts, incident_table._row_value)
    monkeypatch.setattr(incident_table, "_NUMBERED", numbered)
    rng = random.Random(seed)
    rows = [random_row(rng, number) for number in range(rng.randrange(16, 60))]
    reused = 0
    for _step in range(30):
        before = numbered._last
        assert index_json(None, rows) == plain_index_json(rows)  # type: ignore[arg-type] - site is not read
        assert json.loads(index_json(None, rows))  # type: ignore[arg-type]
        reused += before is not None and numbered._last is not None and numbered._last[1] is before[1]
        rows = edited(rng, rows)
    assert reused >= 2, "the reuse path was hardly taken"


def test_a_title_edit_encodes_only_its_row_again(monkeypatch: pytest.MonkeyPatch) -> None:
    numbered = NumberedRows(incident_table._row_texts, incident_table._row_value)
    monkeypatch.setattr(incident_table, "_NUMBERED", numbered)
    rng = random.Random(7)
    rows = [random_row(rng, number) for number in range(100)]
    index_json(None, rows)  # type: ignore[arg-type]
    values = []
    monkeypatch.setattr(
        numbered, "value_of", lambda row, number: values.append(row) or incident_table._row_value(row, number)
    )
    rows[40] = dataclasses.replace(rows[40], title="A new title")
    assert index_json(None, rows) == plain_index_json(rows)  # type: ignore[arg-type]
    assert values == [rows[40]]
    rows[41] = dataclasses.replace(rows[41], city="Nowhere, KS")  # a text not numbered yet: from the start
    values.clear()
    assert index_json(None, rows) == plain_index_json(rows)  # type: ignore[arg-type]
    assert len(values) == 100


def test_no_rows_and_the_same_rows_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(incident_table, "_NUMBERED", NumberedRows(incident_table._row_texts, incident_table._row_value))
    assert index_json(None, []) == plain_index_json([])  # type: ignore[arg-type]
    rows = [random_row(random.Random(3), number) for number in range(20)]
    assert index_json(None, rows) == index_json(None, list(rows)) == plain_index_json(rows)  # type: ignore[arg-type]

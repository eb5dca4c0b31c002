"""The read index finds exactly the outputs a scan of every frame finds (kcrecord/engine/read_index.py)."""

from __future__ import annotations

import random
from collections.abc import Callable
from types import SimpleNamespace

import pytest

from kcrecord.engine.kept_records import Record
from kcrecord.engine.read_index import ReadIndex, _other_values, changed_reads, worth_a_look
from kcrecord.outputs.kept import Kept

KEYS = [f"file:{n}.md" for n in range(12)] + ["coll:incidents", "memo:totals\0()", "plan:index.html", "config:title"]


def scan(records: dict[str, Record], now: dict[str, str]) -> set[str]:
    """What the engine asked of every frame before the index: some key has another fingerprint now."""
    return {path for path, record in records.items() if any(now.get(k, "") != v for k, v in record.frame.items())}


def assert_hard_is_other(index: ReadIndex, records: dict[str, Record], now: Callable[[str], str]) -> None:
    """The outputs changed() found through a key that is not a memo's, which the engine makes without a look.

    Each must be one whose frame changed_reads calls "other" (a read other than a memo's changed):
    one whose only changed reads are memos' waits, and is made only if a memo's value changed.
    (Not every such output is in hard: a reader found through a unit made again since is looked at.)
    """
    other = {path for path, record in records.items() if changed_reads(record.frame, now) == "other"}
    assert index.hard <= other


def frame(rng: random.Random) -> dict[str, str]:
    return {key: rng.choice("abc") for key in rng.sample(KEYS, rng.randint(0, 6))}


@pytest.mark.parametrize("seed", range(30))
def test_changed_equals_a_scan_of_every_frame_through_random_updates(seed: int) -> None:
    rng = random.Random(seed)
    records: dict[str, Record] = {}
    index = ReadIndex()
    for _step in range(60):
        in_place = rng.random() < 0.4  # an edit: records made again, none added or dropped (sync's quick path)
        for _ in range(rng.randint(1, 5)):
            path = f"out/{rng.randrange(15)}.html"
            action = rng.random()
            if in_place:
                if records:
                    records[rng.choice(list(records))] = Record("digest", frame(rng))
                continue
            if action < 0.6:
                records[path] = Record("digest", frame(rng))  # made (again)
            elif action < 0.8:
                records.pop(path, None)  # no longer planned
            elif records:
                records = dict(records)  # the engine's final filter: a new dict, the same records
        index.sync(records)
        now = {key: rng.choice("abc") for key in KEYS if rng.random() < 0.9}
        assert index.changed(lambda key, now=now: now.get(key, "")) == scan(records, now)
        assert_hard_is_other(index, records, lambda key, now=now: now.get(key, ""))
        fresh = ReadIndex()
        fresh.sync(records)
        assert (index._by_key, index._by_name, index._by_unit) == (fresh._by_key, fresh._by_name, fresh._by_unit)


def test_a_record_made_again_with_fewer_reads_is_found_by_its_new_frame_only() -> None:
    index = ReadIndex()
    records = {"a.html": Record("1", {"file:x.md": "1", "file:y.md": "1"})}
    index.sync(records)
    records["a.html"] = Record("2", {"file:x.md": "2"})
    index.sync(records)
    assert index.changed(lambda key: {"file:x.md": "2", "file:y.md": "9"}.get(key, "")) == set()
    assert index.changed(lambda key: {"file:x.md": "3"}.get(key, "")) == {"a.html"}


def kept(frame: dict[str, str], fingerprint: str) -> Kept:
    return Kept(None, frame, 0, fingerprint)


@pytest.mark.parametrize("seed", range(30))
def test_with_units_indexed_changed_equals_a_scan_of_every_frame(seed: int) -> None:
    """Pieces and memos indexed too (the preview): a unit is asked about only when it is a suspect.

    The model: a unit whose reads (base keys, and other units' fingerprints) are all as
    recorded has its kept fingerprint now; one with a changed read has either (made again with
    the same value, or not); a unit read but not kept has ''. The outputs found must be those a
    scan of every record's frame finds, through random updates that also replace units (made
    again with another fingerprint, as the quick pass does) and drop them.
    """
    rng = random.Random(seed)
    base = [f"file:{n}.md" for n in range(8)] + ["config:title"]
    names = [f"piece:p\0file:{n}.md" for n in range(6)] + ["memo:totals\0()"]
    records: dict[str, Record] = {}
    units: dict[str, Kept] = {}
    index = ReadIndex()

    def frame(own: str | None) -> dict[str, str]:
        reads = {key: rng.choice("abc") for key in rng.sample(base, rng.randint(0, 3))}
        below = names if own is None else names[: names.index(own)]  # units read units listed before them: no cycle
        for name in rng.sample(below, min(len(below), rng.randint(0, 3))):
            reads[name] = units[name].fingerprint if name in units and rng.random() < 0.8 else rng.choice("xy")
        return reads

    for _step in range(50):
        in_place = rng.random() < 0.4  # an edit: records and units made again, none added or dropped
        for _ in range(rng.randint(1, 4)):
            action = rng.random()
            if in_place:
                if records and action < 0.5:
                    records[rng.choice(list(records))] = Record("digest", frame(None))
                elif units:
                    name = rng.choice(list(units))
                    units[name] = kept(frame(name), rng.choice("xyz"))
                continue
            if action < 0.4:
                records[f"out/{rng.randrange(10)}.html"] = Record("digest", frame(None))
            elif action < 0.5:
                records.pop(f"out/{rng.randrange(10)}.html", None)
            elif action < 0.85:
                name = rng.choice(names)
                units[name] = kept(frame(name), rng.choice("xyz"))  # made (again)
            else:
                units.pop(rng.choice(names), None)
        index.sync(records, units)
        values = {key: rng.choice("abc") for key in base}
        memo: dict[str, str] = {}

        def now(key: str, values: dict = values, memo: dict = memo) -> str:
            if key in values:
                return values[key]
            name = key  # a unit's readers record its own key
            if name not in units:
                return ""
            if name not in memo:
                unit = units[name]
                same = all(now(k) == v for k, v in unit.frame.items())
                memo[name] = unit.fingerprint if same else rng.choice([unit.fingerprint, "new"])
            return memo[name]

        told: list[tuple[set[str], set[str]]] = []
        got = index.changed(now, lambda suspects, direct, told=told: told.append((suspects, direct)))
        want = {path for path, record in records.items() if any(now(k) != v for k, v in record.frame.items())}
        assert got == want
        assert_hard_is_other(index, records, now)
        assert len(told) == (1 if units else 0)  # with no unit kept, every key is asked about
        suspects, direct = told[0] if told else (set(), set())
        for name in set(units) - suspects:  # a unit not suspected is current
            assert now(name) == units[name].fingerprint
        assert direct <= suspects
        suspected_keys = set(suspects)
        for name in suspects - direct:  # a suspect only as a reader of suspects: its other reads are as recorded
            assert all(now(k) == v for k, v in units[name].frame.items() if k not in suspected_keys), name


@pytest.mark.parametrize("seed", range(20))
def test_changed_reads_with_known_fingerprints_answers_as_asking_every_key(seed: int) -> None:
    """make site's check of each frame: the comparison with what is known gives the loop's answer."""
    rng = random.Random(seed)
    for _ in range(200):
        now = {key: rng.choice("abc") for key in KEYS if rng.random() < 0.9}
        known = {key: value for key, value in now.items() if not key.startswith("memo:") and rng.random() < 0.7}
        asked: list[str] = []

        def ask(key: str, now: dict[str, str] = now, asked: list[str] = asked) -> str:
            asked.append(key)
            return now.get(key, "")

        read = frame(rng)
        expected = changed_reads(read, lambda key, now=now: now.get(key, ""))
        assert changed_reads(read, ask, dict(known)) == expected
        assert not set(asked) & {key for key in known if read.get(key) == known[key]}  # a known read is not asked


@pytest.mark.parametrize("seed", range(40))
def test_the_plans_changed_since_are_those_a_set_difference_finds(seed: int) -> None:
    """Since.keys's plan keys: the outputs with another or a new plan key, found in C or by a set difference."""
    rng = random.Random(seed)
    then = {f"out/{n}": rng.choice(["k1", "k2", "k3"]) for n in range(rng.randint(0, 30))}
    now = dict(then)
    for path in rng.sample(sorted(then), min(len(then), rng.randint(0, 4))):
        now[path] = "".join(["k", rng.choice("1234")])  # an equal string, another object: found by value
    if rng.random() < 0.3:
        now[f"out/new{seed}"] = "k1"
    if rng.random() < 0.3 and now:
        now.pop(rng.choice(sorted(now)))
    if rng.random() < 0.2:
        now = dict(reversed(list(now.items())))
    assert sorted(_other_values(now, then)) == sorted(path for path, _key in now.items() - then.items())


def test_the_jobs_worth_a_look_are_those_the_loop_would_not_skip() -> None:
    """worth_a_look keeps, in order, exactly the jobs whose path is a candidate or has no record."""
    rng = random.Random(5)
    for _ in range(300):
        jobs = [SimpleNamespace(path=f"p{rng.randrange(40)}") for _ in range(rng.randrange(30))]
        records = {f"p{number}": object() for number in range(40) if rng.random() < 0.6}
        candidates = {f"p{number}" for number in range(45) if rng.random() < 0.2}
        want = [job for job in jobs if job.path not in records or job.path in candidates]
        assert worth_a_look(jobs, candidates, records) == want

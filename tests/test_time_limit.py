"""A time limit on each output: a template loop that never ends stops the build with its line, not a wait."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kcrecord.engine import parallel
from kcrecord.engine.time_limit import time_limit
from tests.hostile import assert_refused, run_cli, tree_digest
from tests.record_factory import generated_project
from tests.test_template_errors import _insert


class InnerError(Exception):
    pass


class OuterError(Exception):
    pass


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_a_block_past_its_limit_is_stopped_and_one_within_it_is_not() -> None:
    started = time.monotonic()
    with pytest.raises(InnerError), time_limit(0.05, InnerError):
        _spin(5)
    assert time.monotonic() - started < 1
    with time_limit(0.5, InnerError):
        _spin(0.01)
    _spin(0.6)  # the timer was stopped with the block: nothing fires after it


def test_limits_nest_each_deadline_kept() -> None:
    """An inner limit shorter than the outer raises its own; a longer one leaves the outer's deadline."""
    with pytest.raises(OuterError), time_limit(0.3, OuterError):
        with pytest.raises(InnerError), time_limit(0.05, InnerError):
            _spin(5)
        _spin(5)  # the outer limit still holds after the inner block ended
    started = time.monotonic()
    with pytest.raises(OuterError), time_limit(0.1, OuterError), time_limit(10, InnerError):
        _spin(5)
    assert time.monotonic() - started < 1  # at the outer's deadline, not the inner's


def test_outside_the_main_thread_a_block_runs_unlimited() -> None:
    caught: list[BaseException] = []

    def run() -> None:
        try:
            with time_limit(0.01, InnerError):
                _spin(0.1)
        except BaseException as error:  # noqa: BLE001 - recorded for the assertion
            caught.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert caught == []


@pytest.mark.parametrize("seconds", ["", "abc", "0", "-5", "nan", "inf"])
def test_an_unusable_limit_from_the_environment_is_ignored(monkeypatch: pytest.MonkeyPatch, seconds: str) -> None:
    monkeypatch.setenv("KCRECORD_OUTPUT_SECONDS", seconds)
    assert parallel.output_seconds() == parallel.OUTPUT_SECONDS


LOOP = "{% for n in range(10 ** 12) %}{% endfor %}"


@pytest.mark.parametrize(
    ("template", "incidents", "args"),
    [
        ("home.html", 0, ()),  # made in the engine's own process
        ("incident.html", 0, ()),  # a few pages made again: in the engine's own process too
        ("incident.html", parallel.PARALLEL_FROM // 2 + 20, ("--no-cache",)),  # every page: in worker processes
    ],
)
def test_a_template_loop_that_never_ends_stops_the_build_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, template: str, incidents: int, args: tuple[str, ...]
) -> None:
    root = generated_project(tmp_path / "project", incidents)
    assert run_cli(root, "build").code == 0
    before = tree_digest(root / "site")
    line = _insert(root / "templates" / template, "{% block content %}", LOOP)
    monkeypatch.setenv("KCRECORD_OUTPUT_SECONDS", "1")
    started = time.monotonic()
    run = run_cli(root, "build", *args)
    assert time.monotonic() - started < 15
    assert_refused(run, "OutputTooSlowError", "took longer than 1 s", "does a loop there never end?")
    first = run.err.strip().splitlines()[0]
    assert first.startswith(f"templates/{template}:{line}: template: OutputTooSlowError: making "), first
    assert tree_digest(root / "site") == before  # nothing written

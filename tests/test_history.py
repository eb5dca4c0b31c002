"""Each record's public history, read from a real (temporary) git repository in one pass."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from kcrecord.content import history
from kcrecord.content.history import Change, commit_url, parse_log, read_history
from kcrecord.engine.engine import Engine
from kcrecord.engine.pipeline import Project, build
from kcrecord.preview.builder import PreviewBuilder
from tests.conftest import SMALL_SITE, copy_project

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

INCIDENT = "content/incidents/2024-03-05-example-shooting.md"


def git(root: Path, *args: str, date: str = "2025-01-02T12:00:00+00:00") -> str:
    """Run git in root with fixed dates and a test identity; return its output."""
    env = dict(os.environ, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date, GIT_CONFIG_GLOBAL=os.devnull)
    env.pop("GIT_DIR", None)
    result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=env, check=True)
    return result.stdout


def init_repo(root: Path) -> None:
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test Curator")
    git(root, "config", "user.email", "curator@example.org")
    git(root, "config", "commit.gpgsign", "false")


def commit(root: Path, message: str, date: str, *paths: str) -> str:
    git(root, "add", *(paths or ("-A",)), date=date)
    git(root, "commit", "-q", "-m", message, date=date)
    return git(root, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small project in its own git repository with three commits touching the incident."""
    root = copy_project(SMALL_SITE, tmp_path / "project")
    init_repo(root)
    commit(root, "Add the example incident", "2025-01-02T12:00:00+00:00")
    path = root / INCIDENT
    path.write_text(path.read_text().replace("Officers are called", "Officers were called"))
    commit(root, "Example: the timeline in the past tense", "2025-02-03T09:00:00+00:00", INCIDENT)
    (root / "README.txt").write_text("not an incident\n")
    commit(root, "A change outside content/incidents", "2025-03-04T09:00:00+00:00", "README.txt")
    path.write_text(path.read_text().replace("One shot.", "One shot was fired."))
    commit(root, "Example: <b>claim</b> & wording\tchecked", "2025-04-05T09:00:00+00:00", INCIDENT)
    return root


def test_one_pass_gives_each_file_its_changes_newest_first(repo: Path) -> None:
    found = read_history(repo)
    changes = found[INCIDENT]
    assert [c.subject for c in changes] == [
        "Example: <b>claim</b> & wording checked",
        "Example: the timeline in the past tense",
        "Add the example incident",
    ]
    assert [c.date for c in changes] == [dt.date(2025, 4, 5), dt.date(2025, 2, 3), dt.date(2025, 1, 2)]
    assert changes[0].commit == git(repo, "rev-parse", "HEAD").strip()
    assert all(path.startswith("content/incidents/") for path in found)
    # Every incident file of the project has its first commit; nothing outside the folder is read.
    incidents = sorted(p.relative_to(repo).as_posix() for p in (repo / "content" / "incidents").glob("*.md"))
    assert sorted(found) == incidents


def test_a_renamed_file_keeps_its_earlier_changes(repo: Path) -> None:
    new = "content/incidents/2024-03-05-example-shooting-renamed.md"
    git(repo, "mv", INCIDENT, new)
    commit(repo, "Rename the example", "2025-05-06T09:00:00+00:00")
    changes = read_history(repo)
    assert INCIDENT not in changes
    assert [c.subject for c in changes[new]][:2] == ["Rename the example", "Example: <b>claim</b> & wording checked"]
    assert len(changes[new]) == 4


def test_history_is_left_out_outside_the_top_of_a_full_checkout(repo: Path, tmp_path: Path) -> None:
    assert read_history(tmp_path / "nowhere") == {}  # no such folder
    plain = copy_project(SMALL_SITE, tmp_path / "plain")
    assert read_history(plain) == {}  # not a git checkout
    assert read_history(repo / "content") == {}  # inside a checkout, but not its top
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow)], check=True)
    assert read_history(shallow) == {}  # its oldest commit would claim to add every file


def test_without_git_the_history_is_empty(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo / "no-programs-here"))
    assert read_history(repo) == {}


def test_the_page_lists_each_change_linked_to_its_commit_and_builds_reproducibly(repo: Path, tmp_path: Path) -> None:
    build(Project(repo, tmp_path / "one"))
    build(Project(repo, tmp_path / "two"))
    page_rel = "incidents/2024-03-05-example-shooting/index.html"
    first = (tmp_path / "one" / page_rel).read_bytes()
    assert first == (tmp_path / "two" / page_rel).read_bytes()
    page = BeautifulSoup(first, "html.parser")
    section = page.select_one("section[aria-labelledby=history]")
    items = section.select("ul.history > li")
    assert [" ".join(li.get_text().split()) for li in items] == [
        "April 5, 2025: Example: <b>claim</b> & wording checked",
        "February 3, 2025: Example: the timeline in the past tense",
        "January 2, 2025: Add the example incident",
    ]
    head = git(repo, "rev-parse", "HEAD").strip()
    assert items[0].select_one("a")["href"] == f"https://github.com/example/record/commit/{head}"
    assert page.select_one("h2#corrections")  # the curated corrections stay where they were
    # Outside a checkout the same project builds the page without the section.
    plain = copy_project(SMALL_SITE, tmp_path / "plain")
    build(Project(plain, tmp_path / "three"))
    other = BeautifulSoup((tmp_path / "three" / page_rel).read_bytes(), "html.parser")
    assert other.select_one("#history") is None


def test_commit_links_go_through_the_address_gate() -> None:
    sha = "a" * 40
    assert commit_url("https://github.com/example/record/", sha) == f"https://github.com/example/record/commit/{sha}"
    assert commit_url("javascript:alert(1)//", sha) is None
    assert commit_url("https://github.com/example/record", "not-a-commit") is None


def _log(entries: list[tuple[str, str, str, list[str]]]) -> str:
    lines = []
    for sha, date, subject, files in entries:
        lines.append(f"{history._COMMIT}{sha}{history._FIELD}{date}{history._FIELD}{subject}")
        lines += ["", *files, ""]
    return "\n".join(lines)


@pytest.mark.parametrize("seed", range(25))
def test_parsing_generated_logs_follows_renames_and_keeps_order(seed: int) -> None:
    """Replay random histories forwards, print them as git would (newest first) and parse them back."""
    rng = random.Random(seed)
    names = [f"content/incidents/2024-01-{n:02d}-x.md" for n in range(1, 30)]
    alive: dict[str, int] = {}  # path -> the record it holds
    expected: dict[int, list[str]] = {}
    entries = []
    for n in range(rng.randint(1, 40)):
        sha = f"{n:040x}"
        files = []
        used: set[str] = set()  # git shows a path at most once per commit
        for _ in range(rng.randint(1, 3)):
            action = rng.random()
            free = [p for p in names if p not in alive and p not in used]
            mine = sorted(p for p in alive if p not in used)
            if action < 0.4 and free:
                path = rng.choice(free)
                alive[path] = len(expected)
                expected[alive[path]] = []
                files.append(("A", path))
                used.add(path)
            elif action < 0.6 and mine and free:
                old, new = rng.choice(mine), rng.choice(free)
                alive[new] = alive.pop(old)
                files.append(("R100", f"{old}\t{new}"))
                used.update((old, new))
            elif mine:
                path = rng.choice(mine)
                files.append(("M", path))
                used.add(path)
        touched = {alive.get(f.split("\t")[-1]) for _, f in files} - {None}
        if not files:
            continue
        for record in touched:
            expected[record].append(sha)  # type: ignore[index]
        entries.append((sha, "2025-01-02", f"change {n}", [f"{s}\t{f}" for s, f in files]))
    parsed = parse_log(_log(entries[::-1]))
    for path, record in alive.items():
        assert [c.commit for c in parsed[path]] == expected[record][::-1], path


def test_odd_subjects_are_cleaned_and_shortened() -> None:
    sha = "b" * 40
    long = "word " * 100
    log = _log(
        [
            (sha, "2025-01-02", "a\x00b\x1bc", ["M\tcontent/incidents/a.md"]),
            ("c" * 40, "2025-01-01", long, ["A\tcontent/incidents/a.md"]),
        ]
    )
    changes = parse_log(log)["content/incidents/a.md"]
    assert changes[0] == Change(sha, dt.date(2025, 1, 2), "abc")
    assert len(changes[1].subject) == history.MAX_SUBJECT and changes[1].subject.endswith("…")
    assert parse_log(f"{history._COMMIT}nonsense\n\nM\tcontent/incidents/a.md\n") == {}


def test_a_long_history_shows_the_latest_ten_and_links_to_the_rest(repo: Path, tmp_path: Path) -> None:
    path = repo / INCIDENT
    for n in range(9):
        path.write_text(path.read_text() + f"\nMore text {n}.[^gazette-2024-03-06]\n")
        commit(repo, f"Example: paragraph {n}", f"2025-06-{n + 1:02d}T09:00:00+00:00", INCIDENT)
    build(Project(repo, tmp_path / "site"))
    built = tmp_path / "site" / "incidents/2024-03-05-example-shooting/index.html"
    page = BeautifulSoup(built.read_bytes(), "html.parser")
    section = page.select_one("section[aria-labelledby=history]")
    assert len(section.select("ul.history > li")) == 10
    assert section.select_one("ul.history > li").get_text().endswith("Example: paragraph 8")
    everything = section.select_one("p a")
    assert everything.get_text() == "12"
    assert everything["href"] == f"https://github.com/example/record/commits/main/{INCIDENT}"


def test_the_preview_keeps_one_history_while_the_commit_stays_and_reads_it_again_after_a_commit(repo: Path) -> None:
    """Its fingerprints are worked out once per commit, not at each update (10,000 hashes at 10,000 incidents)."""
    builder = PreviewBuilder(repo)
    assert builder.build().ok
    site = builder.engine.site
    assert site is not None
    first = object.__getattribute__(site, "history")
    assert first.get(INCIDENT) is not None
    path = repo / INCIDENT
    path.write_text(path.read_text().replace("One shot was fired.", "One shot was fired then."))
    assert builder.update({path}).ok and builder.finish().ok
    assert builder.engine.site is not site and object.__getattribute__(builder.engine.site, "history") is first
    made = commit(repo, "Example: attribution", "2025-05-06T09:00:00+00:00", INCIDENT)
    assert builder.update({path}).ok and builder.finish().ok
    later = object.__getattribute__(builder.engine.site, "history")
    assert later is not first and later.get(INCIDENT)[0].commit == made


def test_a_commit_between_updates_shows_in_the_pages_of_files_not_read_again(repo: Path, tmp_path: Path) -> None:
    """The preview asks its read index about the keys of the files edited since its last update, and about
    every history:<path> when the commits changed (another History): an incident committed between two
    updates lists its new commit, though the update that follows read only another file."""
    builder = PreviewBuilder(repo)
    assert builder.build().ok
    path = repo / INCIDENT
    path.write_text(path.read_text().replace("One shot was fired.", "One shot was fired then."))
    assert builder.update({path}).ok and builder.finish().ok
    made = commit(repo, "Example: one more word", "2025-05-06T09:00:00+00:00", INCIDENT)
    other = repo / "content" / "incidents" / "2023-07-01-example-vehicle.md"
    other.write_text(other.read_text().replace("title: ", "title: Renamed ", 1))
    assert builder.update({other}, quick=False).ok and builder.finish().ok
    page = builder.out / "incidents" / "2024-03-05-example-shooting" / "index.html"
    assert made[:7] in page.read_text(encoding="utf-8")
    clean = tmp_path / "clean"
    assert Engine(repo, clean, search=False).run().ok

    def files(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    assert files(builder.out) == files(clean)

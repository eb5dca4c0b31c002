"""CI a public repository can trust: zizmor (pinned, offline) finds nothing in .github/, and it would."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

GITHUB = REPO / ".github"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def zizmor(folder: Path, *options: str) -> list[dict]:
    """Return zizmor's findings for folder (offline, no network), failing on any error of zizmor's own."""
    binary = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    assert binary, "zizmor is not installed: pip install -r requirements-test.txt"
    command = [binary, "--offline", "--no-progress", "--format", "json", *options, str(folder)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode in (0, 10, 11, 12, 13, 14), result.stderr  # 1x: findings of some severity
    return json.loads(result.stdout)


def test_zizmor_finds_nothing_in_the_workflows_even_when_pedantic() -> None:
    assert zizmor(GITHUB) == []
    assert zizmor(GITHUB, "--persona", "pedantic") == []


def test_zizmor_would_catch_an_unpinned_action_and_persisted_credentials(tmp_path: Path) -> None:
    copy = shutil.copytree(GITHUB, tmp_path / ".github")
    workflow = copy / "workflows" / "pr.yml"
    text = workflow.read_text(encoding="utf-8")
    text = re.sub(r"actions/checkout@[0-9a-f]{40} # v[\d.]+", "actions/checkout@v4", text)
    text = re.sub(r"\n +with:\n +persist-credentials: false[^\n]*", "", text)  # checkout's default: keep them
    assert "persist-credentials" not in text
    workflow.write_text(text, encoding="utf-8")
    found = {finding["ident"] for finding in zizmor(copy)}
    assert {"unpinned-uses", "artipacked"} <= found


def workflow_files() -> list[Path]:
    """Return every workflow file."""
    return sorted((GITHUB / "workflows").glob("*.yml"))


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version_named(path: Path) -> None:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    used = [line for line in lines if re.match(r"^(- )?uses:", line)]
    assert used
    for line in used:
        reference, _, comment = line.split("uses:", 1)[1].partition("#")
        assert PINNED.match(reference.strip()), line
        assert re.fullmatch(r"v\d+\.\d+\.\d+", comment.strip()), f"name the version after the SHA: {line}"


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_every_job_asks_for_its_own_permissions_and_checkouts_keep_no_credentials(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["permissions"] == {}
    for name, job in data["jobs"].items():
        assert "permissions" in job, name
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name


def test_dependabot_keeps_the_actions_and_the_python_pins_current() -> None:
    config = yaml.safe_load((GITHUB / "dependabot.yml").read_text(encoding="utf-8"))
    ecosystems = {update["package-ecosystem"]: update for update in config["updates"]}
    assert {"github-actions", "pip"} <= set(ecosystems)
    assert all(update["directory"] == "/" and update["schedule"]["interval"] for update in config["updates"])


def test_the_pages_build_keeps_its_cache_folder() -> None:
    data = yaml.safe_load((GITHUB / "workflows" / "pages.yml").read_text(encoding="utf-8"))
    [cache] = [step for step in data["jobs"]["build"]["steps"] if step.get("uses", "").startswith("actions/cache@")]
    assert ".cache/" in cache["with"]["path"].split()
    assert "${{ github.sha }}" in cache["with"]["key"]  # a new cache is saved after every push

"""The contributor's tooling: CI workflows, Makefile targets, pre-commit, editor settings, page links."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from kcrecord import cli

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"


def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # PyYAML follows YAML 1.1, where the key `on` is the boolean true.
    data["on"] = data.pop(True)
    return data


def steps(data: dict) -> list[dict]:
    return [step for job in data["jobs"].values() for step in job["steps"]]


def uses(data: dict) -> list[str]:
    return [step["uses"].split("@")[0] for step in steps(data) if "uses" in step]


def make_targets() -> set[str]:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z0-9-]*):", text, flags=re.MULTILINE))


def make_commands(data: dict) -> list[list[str]]:
    return [shlex.split(step["run"]) for step in steps(data) if step.get("run", "").startswith("make ")]


def test_pull_request_workflow_checks_builds_and_uploads() -> None:
    data = workflow("pr.yml")
    assert "pull_request" in data["on"]
    assert data["permissions"] == {}
    assert data["jobs"]["check-and-build"]["permissions"] == {"contents": "read"}
    assert [cmd[:2] for cmd in make_commands(data)] == [["make", "check"], ["make", "site"]]
    assert "FORMAT=github" in make_commands(data)[0]
    assert uses(data) == ["actions/checkout", "actions/setup-python", "actions/upload-artifact"]
    upload = next(step for step in steps(data) if step.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"].rstrip("/") == "site"


def test_pages_workflow_builds_main_for_the_pages_address_and_deploys() -> None:
    data = workflow("pages.yml")
    assert data["on"]["push"]["branches"] == ["main"]
    assert data["permissions"] == {}
    assert data["jobs"]["build"]["permissions"] == {"contents": "read", "pages": "read"}
    assert data["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert uses(data) == [
        "actions/checkout",
        "actions/setup-python",
        "actions/configure-pages",
        "actions/cache",
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
    ]
    configure = next(step for step in steps(data) if step.get("uses", "").startswith("actions/configure-pages"))
    build = next(step for step in steps(data) if step.get("run", "").startswith("make site"))
    assert build["env"]["BASE_URL"] == "${{ steps." + configure["id"] + ".outputs.base_url }}"
    assert shlex.split(build["run"]) == ["make", "site", "BASE_URL=$BASE_URL"]
    assert data["jobs"]["deploy"]["needs"] == "build"
    assert data["jobs"]["deploy"]["environment"]["name"] == "github-pages"


@pytest.mark.parametrize("name", ["pr.yml", "pages.yml"])
def test_every_make_target_ci_runs_exists(name: str) -> None:
    targets = make_targets()
    commands = make_commands(workflow(name))
    assert commands
    for command in commands:
        assert command[1] in targets, f"{name} runs `make {command[1]}`, which the Makefile lacks"


def make_dry_run(*args: str) -> list[list[str]]:
    """Return the commands make would run (without running them), minus the one-time venv setup."""
    result = subprocess.run(["make", "-n", *args], cwd=REPO, capture_output=True, text=True, check=True)
    lines = [shlex.split(line) for line in result.stdout.splitlines()]
    return [line for line in lines if "build.py" in line or "kcrecord.content.json_schema" in line]


def test_make_passes_base_url_format_and_new_flags() -> None:
    assert make_dry_run("site", "BASE_URL=https://owner.github.io/repo") == [
        [".venv/bin/python", "build.py", "build", "--base-url", "https://owner.github.io/repo"]
    ]
    assert make_dry_run("site") == [[".venv/bin/python", "build.py", "build"]]
    assert make_dry_run("check", "FORMAT=github") == [[".venv/bin/python", "build.py", "check", "--format", "github"]]
    assert make_dry_run("new", "DATE=2024-11-07", "CITY=Kansas City", "TITLE=A: title") == [
        [".venv/bin/python", "build.py", "new", "--date", "2024-11-07", "--city", "Kansas City", "--title", "A: title"]
    ]
    assert make_dry_run("schemas") == [[".venv/bin/python", "-m", "kcrecord.content.json_schema"]]


def test_pages_build_command_works_under_the_repository_sub_path(small_project: Path, tmp_path: Path) -> None:
    # configure-pages gives the address without a final slash.
    command = make_dry_run("site", "BASE_URL=https://owner.github.io/record")[0]
    out = tmp_path / "out"
    assert cli.main(["--root", str(small_project), *command[2:], "--out", str(out)]) == 0
    home = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")
    internal = [a["href"] for a in home.select("a[href]") if not a["href"].startswith(("http", "#", "mailto:"))]
    assert internal
    assert all(href.startswith("/record/") for href in internal), internal


def test_pre_commit_hook_runs_the_check_with_the_pinned_dependencies() -> None:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    [repo] = config["repos"]
    [hook] = repo["hooks"]
    assert repo["repo"] == "local"
    assert hook["entry"] == "python build.py check"
    assert hook["language"] in ("python", "system")
    assert hook["pass_filenames"] is False
    pins = [
        line.strip()
        for line in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith(("#", "-r"))
    ]
    assert hook["additional_dependencies"] == pins
    assert re.search(hook["files"], "content/incidents/2024-11-07-x.md")
    assert re.search(hook["files"], "site.yaml")


def test_vscode_maps_the_committed_schemas() -> None:
    settings = json.loads((REPO / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    schemas = settings["yaml.schemas"]
    assert schemas["./schemas/incident.schema.json"][0] == "content/incidents/*.md"
    assert schemas["./schemas/agency.schema.json"][0] == "content/agencies/*.md"
    for path in schemas:
        assert (REPO / path).is_file()


def test_template_points_at_the_schema_and_the_field_reference() -> None:
    template = (REPO / "templates" / "new-incident.md").read_text(encoding="utf-8")
    directive = re.search(r"# yaml-language-server: \$schema=(\S+)", template)
    assert directive is not None
    # Relative to content/incidents/, where the new file is written.
    assert (REPO / "content" / "incidents" / directive.group(1)).resolve() == REPO / "schemas" / "incident.schema.json"
    assert "content/pages/fields.md" in template


def test_every_incident_page_links_to_its_source_file_on_github(real_site: Path) -> None:
    settings = yaml.safe_load((REPO / "site.yaml").read_text(encoding="utf-8"))
    repository, branch = settings["repository"].rstrip("/"), settings["branch"]
    pages = sorted((real_site / "incidents").glob("*/index.html"))
    assert pages
    for page in pages:
        slug = page.parent.name
        rel = f"content/incidents/{slug}.md"
        assert (REPO / rel).is_file()
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        links = {" ".join(a.get_text().split()): a["href"] for a in soup.select("a[href]")}
        assert links["Suggest a correction"] == f"{repository}/edit/{branch}/{rel}", slug
        assert links["View source file"] == f"{repository}/blob/{branch}/{rel}", slug


def test_contributing_guide_covers_the_workflow_and_links_the_field_reference() -> None:
    guide = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for needed in ("make new", "make check", "make site", "disputed", "corrections", "[^", "yaml-language-server"):
        assert needed in guide, needed
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", guide)
    local = [link for link in links if not link.startswith(("http://", "https://", "mailto:"))]
    assert "content/pages/fields.md" in local
    for link in local:
        assert (REPO / link).exists(), f"CONTRIBUTING.md links to missing {link}"


def test_pull_request_template_has_a_checklist() -> None:
    template = (REPO / ".github" / "pull_request_template.md").read_text(encoding="utf-8")
    boxes = re.findall(r"^- \[ \] ", template, flags=re.MULTILINE)
    assert len(boxes) >= 5
    assert "make check" in template

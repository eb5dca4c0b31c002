"""The command line: build (default), check, and the commands later stages add."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import jinja2

from kcrecord.annotations import github_report
from kcrecord.content.problems import ContentError
from kcrecord.engine import template_errors
from kcrecord.engine.allocator import fix_mmap_threshold
from kcrecord.engine.collector import collector_paused
from kcrecord.engine.forked import WorkerLostError
from kcrecord.engine.pipeline import Project, build, check
from kcrecord.engine.progress import Progress
from kcrecord.engine.write import OutputRefusedError
from kcrecord.importers import wapo_args

CHECK_CLOSING = "check again after fixing"  # check builds nothing, so it does not say "nothing was built"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="build.py", description="Build the police incident record site.")
    parser.add_argument("--root", type=Path, default=Path("."), help="project folder (default: here)")
    commands = parser.add_subparsers(dest="command")
    # Long work shows its progress on a terminal; --quiet turns that off for scripts.
    quiet = argparse.ArgumentParser(add_help=False)
    quiet.add_argument("--quiet", action="store_true", help="show no progress, even on a terminal")
    build_cmd = commands.add_parser("build", parents=[quiet], help="validate content and build site/ (the default)")
    build_cmd.add_argument("--out", type=Path, default=None, help="output folder (default: site/)")
    build_cmd.add_argument("--base-url", default=None, help="override base_url from site.yaml")
    build_cmd.add_argument("--no-search", action="store_true", help="leave out the search index (pagefind/)")
    build_cmd.add_argument(
        "--no-cache", action="store_true", help="build everything from nothing, without reading or writing .cache/"
    )
    check_cmd = commands.add_parser("check", parents=[quiet], help="validate content only; write nothing")
    check_cmd.add_argument(
        "--format", choices=("text", "github"), default="text", help="github: print GitHub workflow annotations"
    )
    new_cmd = commands.add_parser("new", help="start a new incident file from the template")
    new_cmd.add_argument("--date", help="date of the incident, YYYY-MM-DD")
    new_cmd.add_argument("--city", help="city where it happened")
    new_cmd.add_argument("--title", help="a neutral one-line headline")
    wapo_args.add_arguments(commands.add_parser("import", help="import incidents from a dataset (wapo)"))
    commands.add_parser("review", help="list imported records waiting for a curator's review, longest waiting first")
    serve_cmd = commands.add_parser("serve", help="preview the site with live reload (make serve)")
    serve_cmd.add_argument("--host", default="127.0.0.1", help="where to listen (default: 127.0.0.1, this machine)")
    serve_cmd.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    return parser


CLOSED_OUTPUT = 120
"""The exit status when the output could not be written to (a closed pipe): Python's own in that case."""


def _ended(status: int) -> int:
    """End the process now, once its output is flushed: the build's objects are not freed one by one.

    At 10,000 incidents Python took 0.1-0.15 s (the collector frozen) to free what a build after
    one edit held, after everything was written (the cache folder's database commits each write; nothing is left open
    that an exit handler would finish). Under a profiler or coverage, status is returned instead.
    """
    if sys.getprofile() is not None or sys.gettrace() is not None or "coverage" in sys.modules:
        return status  # a profiler or coverage writes its data at exit: let Python end as usual
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: the build is done, its message could not be shown
        return _closed(True)
    os._exit(status)


def _closed(ending: bool) -> int:
    """Return (or, ending, end with) CLOSED_OUTPUT, without a word: the output cannot be written to."""
    if ending:
        os._exit(CLOSED_OUTPUT)  # Python would report the pipe once more while ending
    return CLOSED_OUTPUT


def main(argv: list[str] | None = None, ending: bool = False) -> int:
    """Run the command line; return the exit status.

    ending: the process ends after this (build.py), so what the build made is never collected, and
    a build or check that succeeds ends the process at once (_ended).
    """
    args = _parser().parse_args(argv)
    root = args.root.resolve()
    command = args.command or "build"
    out = getattr(args, "out", None) or root / "site"
    if out.is_symlink():  # resolving it would write wherever the link points
        print(f"{out}: a symbolic link; give --out the folder itself; nothing was built.", file=sys.stderr)
        return 1
    project = Project(root, out.resolve())
    if command in ("build", "check", "serve"):
        fix_mmap_threshold()  # large blocks let go of go back to the system (kcrecord/engine/allocator.py)
    if command == "serve":
        from kcrecord.preview import serve  # tornado is loaded only for the preview

        return serve.run(project, args.host, args.port, root / ".cache")
    try:
        # Each command loads only what it uses: a build starts 0.05 s sooner without the others.
        if command == "new":
            from kcrecord import new_incident

            return new_incident.run(root, args.date, args.city, args.title)
        if command == "import":
            from kcrecord.importers import wapo_cli

            return wapo_cli.main(args, root)
        if command == "review":
            from kcrecord.outputs import review

            return review.run(root)
        progress = Progress.for_terminal(getattr(args, "quiet", False))
        # A build's objects live until it ends: the cycle collector would only walk them again and
        # again (3 s of a 14 s build after one edit at 10,000 incidents; the peak memory is the same).
        if command == "check":
            with progress, collector_paused(freeze_after=ending):
                count = check(project, progress)
            print(f"{count} files checked, no problems found.")
            return _ended(0) if ending else 0
        started = time.perf_counter()
        with progress, collector_paused(freeze_after=ending):
            built = build(
                project,
                getattr(args, "base_url", None),
                search=not getattr(args, "no_search", False),
                progress=progress,
                cache=not getattr(args, "no_cache", False),
            )
        pages = built.pages
        seconds = time.perf_counter() - started
        write_stats(seconds)
        print(
            f"Built {built.incidents} incidents, {built.agencies} agencies, "
            f"{pages} pages into {_shown(project.out, root)} in {seconds:.2f} s."
        )
        return _ended(0) if ending else 0
    except ContentError as error:
        report = error.report(CHECK_CLOSING) if command == "check" else error.report()
        if getattr(args, "format", "text") == "github":
            print(github_report(error.problems, report.rsplit("\n", 1)[-1]))
            return 1
        print(report, file=sys.stderr)
        return 1
    except OutputRefusedError as error:
        print(f"{error}; nothing was built.", file=sys.stderr)
        return 1
    except jinja2.TemplateError as error:
        print(template_errors.describe(error, project.templates, root), file=sys.stderr)
        return 1
    except WorkerLostError as error:  # the system ended a worker (out of memory): not the contributor's files
        print(f"build.py: {error}. Run the build again; if it happens again, free memory first.", file=sys.stderr)
        return 1
    except BrokenPipeError:  # whoever read the output went away (the site was built): no one to tell
        return _closed(ending)
    except OSError as error:
        reason = error.strerror or str(error)
        where = Path(str(error.filename)) if error.filename else project.out
        if command == "build" and (where == project.out.parent or project.out.parent in where.parents):
            print(f"{project.out}: could not write the site there ({reason}); nothing was changed.", file=sys.stderr)
        else:
            print(f"{where}: could not be read or written ({reason}); nothing was changed.", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - one line, never a bare traceback
        if template_errors.raised_in_templates(error, project.templates):
            print(template_errors.describe(error, project.templates, root), file=sys.stderr)
            return 1
        if os.environ.get("KCRECORD_DEBUG"):
            raise
        print(
            f"build.py: internal error: {type(error).__name__}: {error}. This is a bug in the tool, not in your "
            "files; please report it (run with KCRECORD_DEBUG=1 to see where it happened).",
            file=sys.stderr,
        )
        return 1


def write_stats(seconds: float) -> None:
    """Write the build's time and peak memory as JSON to $KCRECORD_STATS, when it is set (benchmarks read it)."""
    target = os.environ.get("KCRECORD_STATS")
    if not target:
        return
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    Path(target).write_text(
        json.dumps(
            {"seconds": round(seconds, 3), "self_peak_mb": round(own, 1), "children_peak_mb": round(children, 1)}
        )
    )


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix() + "/"
    except ValueError:
        return str(path)

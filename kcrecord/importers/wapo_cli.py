"""`build.py import wapo DATA.csv --agencies AGENCIES.csv ...`: the command line of the Fatal Force import."""

from __future__ import annotations

import argparse
from pathlib import Path

from kcrecord.content.area import AreaError
from kcrecord.engine.progress import Progress
from kcrecord.importers.wapo import Options, run_import
from kcrecord.importers.wapo_args import DEFAULT_AGENCY_MAP, DEFAULT_MINOR_HASHES
from kcrecord.importers.wapo_read import ImportInputError


def main(args: argparse.Namespace, root: Path) -> int:
    """Run an import from parsed arguments; return the exit status (1 if anything could not be imported)."""
    options = Options(
        data=args.data,
        agencies=args.agencies,
        content=(args.content or root / "content").resolve(),
        agency_map=args.agency_map or root / DEFAULT_AGENCY_MAP,
        area=not args.all_areas,
        state=args.state,
        county=args.county,
        city=args.city,
        since=args.since,
        until=args.until,
        dataset_version=args.dataset_version,
        minor_hashes=root / DEFAULT_MINOR_HASHES,
    )
    try:
        with Progress.for_terminal(args.quiet) as progress:
            report = run_import(options, progress)
    except (ImportInputError, AreaError) as error:
        print(f"{error}; nothing was written.")
        return 1
    print("\n".join(report.lines(args.verbose, args.explain)))
    return 1 if report.problems else 0

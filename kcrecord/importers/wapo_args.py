"""The arguments of `build.py import wapo ...` and the files it reads by default.

Apart from the import itself (kcrecord/importers/wapo_cli.py), so that every other command
parses its command line without loading the importer.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

DEFAULT_AGENCY_MAP = Path("imports") / "wapo-agencies.csv"
DEFAULT_MINOR_HASHES = Path("imports") / "minor-name-hashes.txt"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from err


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `import wapo DATA.csv --agencies AGENCIES.csv ...` to the import subcommand."""
    sources = parser.add_subparsers(dest="import_source", required=True)
    wapo = sources.add_parser("wapo", help="The Washington Post's Fatal Force data (v2 CSV files)")
    wapo.add_argument("data", type=Path, help="fatal-police-shootings-data.csv")
    wapo.add_argument("--agencies", type=Path, required=True, help="fatal-police-shootings-agencies.csv")
    wapo.add_argument("--content", type=Path, default=None, help="content folder to write to (default: content/)")
    wapo.add_argument(
        "--agency-map",
        type=Path,
        default=None,
        help=f"table of WaPo agency ids already in the record (default: {DEFAULT_AGENCY_MAP})",
    )
    wapo.add_argument(
        "--all-areas", action="store_true", help="import rows from everywhere, not only the Kansas City area"
    )
    wapo.add_argument("--state", help="only rows in this state, e.g. MO")
    wapo.add_argument("--county", help="only rows whose county column is this county, e.g. Jackson")
    wapo.add_argument("--city", help="only rows in this city, e.g. 'Kansas City'")
    wapo.add_argument("--since", type=_date, help="only rows on or after this date (YYYY-MM-DD)")
    wapo.add_argument("--until", type=_date, help="only rows on or before this date (YYYY-MM-DD)")
    wapo.add_argument(
        "--dataset-version",
        type=_date,
        help="date of the dataset version (default: the latest date in the data file)",
    )
    wapo.add_argument("--explain", action="store_true", help="say for every row why it is in or out of the area")
    wapo.add_argument("-v", "--verbose", action="store_true", help="list every file, not only problems")
    wapo.add_argument("--quiet", action="store_true", help="show no progress, even on a terminal")

"""Build the Kansas City area police incident record: `python build.py [build|check]`."""

import sys

from kcrecord.cli import main

if __name__ == "__main__":
    sys.exit(main(ending=True))

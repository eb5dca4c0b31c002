"""Build the Kansas City area police incident record: `python build.py [build|check]`."""

import sys

STOPPED = "build.py: stopped (Ctrl-C); run the command again to finish its work."
"""Said instead of a traceback: a build stopped part-way leaves the site as it was or finishes it next time."""

if __name__ == "__main__":
    try:
        from kcrecord.cli import main  # inside: Ctrl-C while the modules load is answered the same way

        sys.exit(main(ending=True))
    except KeyboardInterrupt:
        print(STOPPED, file=sys.stderr)
        sys.exit(130)  # as a shell reports a command ended by SIGINT

"""The outputs: everything the build makes from the site model, such as pages, feeds, maps, the CSV, JSON and
GeoJSON downloads, the SQLite database and the data package, and the templates' context for each."""

from kcrecord.outputs.packaged import PACKAGED, package_files

__all__ = ["PACKAGED", "package_files"]  # packaged.py's, kept here: readers.py imports them from the package

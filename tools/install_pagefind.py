"""Install the pinned Pagefind binary that `make site` runs: python3 tools/install_pagefind.py [DEST].

Pagefind 1.6.0 writes its index in a fixed order, so two builds give the same pagefind/ bytes;
it is published only as npm packages (@pagefind/<platform>), not on PyPI. This script needs no
node or npm: it downloads the one tarball for this platform with urllib, checks it against the
sha512 integrity pinned in tools/pagefind.json (what `npm view` reports as dist.integrity),
takes the single binary out of it (Pagefind's extended build, the only one the packages ship),
checks that against its pinned sha256 and writes it to DEST (default .venv/bin/pagefind).
It does nothing when DEST already reports the pinned version. Without network, download the
tarball it names by hand and pass it with --tarball FILE. The Makefile runs it with the venv.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
PINS = HERE / "pagefind.json"
DEFAULT_DEST = HERE.parent / ".venv" / "bin" / "pagefind"
REGISTRY = "https://registry.npmjs.org"
MAX_BINARY = 64 * 1024 * 1024  # the binaries are about 13 MB; a larger member is not ours
SYSTEMS = {"linux": "linux", "darwin": "darwin", "win32": "windows", "cygwin": "windows", "freebsd": "freebsd"}
MACHINES = {"x86_64": "x64", "amd64": "x64", "x64": "x64", "aarch64": "arm64", "arm64": "arm64"}


class InstallError(Exception):
    """A one-line reason the binary could not be installed."""


def platform_key() -> str:
    """Return this machine's npm platform name, e.g. linux-x64, or '' when it has none."""
    system = next((name for prefix, name in SYSTEMS.items() if sys.platform.startswith(prefix)), "")
    machine = MACHINES.get(platform.machine().lower(), "")
    return f"{system}-{machine}" if system and machine else ""


def tarball_url(key: str, version: str) -> str:
    """Return the npm registry's address of @pagefind/<key>@<version>'s tarball."""
    registry = os.environ.get("NPM_CONFIG_REGISTRY", REGISTRY).rstrip("/")
    return f"{registry}/@pagefind/{key}/-/{key}-{version}.tgz"


def installed_version(dest: Path) -> str:
    """Return what DEST --version prints ('pagefind 1.6.0'), or '' when it is missing or does not run."""
    if not dest.is_file():
        return ""
    try:
        result = subprocess.run([str(dest), "--version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def download(url: str) -> bytes:
    """Return the bytes at url."""
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.read()
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise InstallError(f"cannot download {url} ({reason})") from error


def check_integrity(data: bytes, integrity: str, source: str) -> None:
    """Raise unless data's sha512 is the pinned npm integrity string."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise InstallError(f"tools/pagefind.json: unsupported integrity {integrity!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")
    if actual != expected:
        raise InstallError(f"{source} does not match the sha512 pinned in tools/pagefind.json; not installed")


def binary_from(tarball: bytes, member: str, sha256: str) -> bytes:
    """Return the one regular-file member of the gzipped tarball, checked against its sha256."""
    try:
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            try:
                info = archive.getmember(member)
            except KeyError:
                raise InstallError(f"the tarball has no {member}") from None
            if not info.isreg() or info.size > MAX_BINARY:
                raise InstallError(f"{member} in the tarball is not a regular file of a plausible size")
            stream = archive.extractfile(info)
            assert stream is not None  # a regular file always has a stream
            data = stream.read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise InstallError(f"cannot read the tarball ({error})") from error
    if hashlib.sha256(data).hexdigest() != sha256:
        raise InstallError(f"{member} does not match the sha256 pinned in tools/pagefind.json; not installed")
    return data


def write_executable(dest: Path, data: bytes) -> None:
    """Write data to dest through a temporary file beside it, executable, replacing dest at once."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".pagefind-", dir=dest.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o755)
        os.replace(temporary, dest)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def install(dest: Path, tarball: Path | None = None) -> str:
    """Install the pinned binary at dest unless it is there; return what was done."""
    pins = json.loads(PINS.read_text(encoding="utf-8"))
    version = pins["version"]
    if installed_version(dest) == f"pagefind {version}":
        return f"Pagefind {version} is already installed at {dest}"
    key = platform_key()
    if key not in pins["packages"]:
        raise InstallError(
            f"no Pagefind {version} binary is pinned for this platform ({sys.platform} {platform.machine()}); "
            f"pinned: {', '.join(pins['packages'])}; install Pagefind {version} yourself and set PAGEFIND_BINARY"
        )
    pin = pins["packages"][key]
    url = tarball_url(key, version)
    if tarball is None:
        try:
            data = download(url)
        except InstallError as error:
            raise InstallError(
                f"{error}; download that file by hand and run: python3 tools/install_pagefind.py "
                f"--tarball {key}-{version}.tgz {dest}"
            ) from None
        source = url
    else:
        try:
            data = tarball.read_bytes()
        except OSError as error:
            raise InstallError(f"cannot read {tarball} ({error.strerror}); download it from {url}") from None
        source = str(tarball)
    check_integrity(data, pin["integrity"], source)
    write_executable(dest, binary_from(data, pin["member"], pin["sha256"]))
    if installed_version(dest) != f"pagefind {version}":
        raise InstallError(f"installed {dest}, but it does not run or report pagefind {version}")
    return f"Installed Pagefind {version} ({key}) at {dest}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", nargs="?", type=Path, default=DEFAULT_DEST, help="where to write the binary")
    parser.add_argument("--tarball", type=Path, help="a tarball downloaded by hand, used instead of the network")
    args = parser.parse_args(argv)
    try:
        print(install(args.dest, args.tarball))
    except InstallError as error:
        print(f"install_pagefind: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

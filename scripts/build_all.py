"""Build wheels and sdists of the workspace's distributions, each on its own.

Usage:
    python scripts/build_all.py --out dist              every distribution
    python scripts/build_all.py --out dist --tag TAG    only the one a release tag names
                                                         (`<dist>-v<version>`; checks the version)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def distributions() -> dict[str, str]:
    """Distribution name -> version, for every package folder."""
    found: dict[str, str] = {}
    for pyproject in sorted((ROOT / "packages").glob("*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        found[project["name"]] = project["version"]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description="Build the workspace's distributions.")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--tag", help="a release tag `<dist>-v<version>`: build only that one")
    options = parser.parse_args()
    dists = distributions()
    chosen = list(dists)
    if options.tag:
        name, _, version = options.tag.rpartition("-v")
        if dists.get(name) != version:
            print(f"tag {options.tag!r} names no distribution at that version: {dists}")
            return 1
        chosen = [name]
        output = os.environ.get("GITHUB_OUTPUT")
        if output:
            with open(output, "a", encoding="utf-8") as handle:
                handle.write(f"dist={name}\n")
    uv = shutil.which("uv") or "uv"
    for name in chosen:
        print(f"building {name} {dists[name]}", flush=True)
        subprocess.run([uv, "build", "--package", name, "--out-dir", str(options.out)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

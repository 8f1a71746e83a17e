#!/usr/bin/env python3
"""The developer front door: sets up what it needs, then runs the demo, the tests or the checks.

Usage:
    python3 dev.py demo            the live demo on 127.0.0.1 (`mxp-agents demo`: a registry, a
                                   coordinator delegating over MXP to a worker with tools)
    python3 dev.py test [PKG ...]  every package's tests in its own virtualenv (only its declared
                                   dependencies), then integration-tests/, then ruff and pyright
    python3 dev.py check           ruff (lint + format) and pyright only
    python3 dev.py setup           create .venv with every package (editable) and the dev tools
    python3 dev.py pins [--upgrade]  re-resolve dependencies and rewrite constraints/pins.txt

Needs only Python 3.11+ with pip: it installs uv into .tools/ when uv is not on PATH, and every
install is constrained to the versions pinned in constraints/pins.txt.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PINS = ROOT / "constraints" / "pins.txt"
UV_PIN = ROOT / "constraints" / "uv.txt"
TOOLS = ROOT / ".tools"
VENV = ROOT / ".venv"
PACKAGE_VENVS = ROOT / ".venvs"
WHEELS = ROOT / ".wheels"
# Dependencies with no wheel on PyPI. Each is compiled once per checkout into .wheels/
# (git-ignored) and every virtualenv installs that wheel: uv's cache does not reliably keep a
# wheel it built from an sdist, and llama.cpp takes minutes to compile.
BUILT_ONCE = ("llama-cpp-python",)
TEST_TOOLS = ["pytest", "pytest-trio", "hypothesis"]
DEV_TOOLS = [*TEST_TOOLS, "ruff", "pyright", "httpx"]
# pytest exits 5 when it collected no test: a run that tests nothing must not pass.
PYTEST_NO_TESTS = 5
# Outcome counts summed over every pytest run of this invocation (for the closing line).
TOTALS: dict[str, int] = {}
_OUTCOMES = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)")


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py must say this on an older Python
        print("dev.py needs Python 3.11 or newer", file=sys.stderr)
        return 2
    command, *args = argv or ["help"]
    commands = {"demo": demo, "test": test, "check": check, "setup": setup, "pins": pins}
    if command not in commands:
        print(__doc__)
        return 0 if command in ("help", "-h", "--help") else 2
    try:
        return commands[command](args)
    except subprocess.CalledProcessError as error:
        print(f"dev.py: command failed ({error.returncode}): {_show(error.cmd)}", file=sys.stderr)
        return error.returncode or 1


# --- commands ---------------------------------------------------------------------------------


def demo(args: list[str]) -> int:
    setup([])
    return _run([_bin(VENV, "mxp-agents"), "demo", *args], check=False)


def test(args: list[str]) -> int:
    packages = _packages()
    chosen = args or list(packages)
    unknown = [name for name in chosen if name not in packages]
    if unknown:
        print(f"dev.py: unknown package(s) {unknown}; known: {sorted(packages)}", file=sys.stderr)
        return 2
    failures: list[str] = []
    for name in chosen:
        _banner(f"{name}: tests with only its declared dependencies")
        venv = PACKAGE_VENVS / name
        _make_venv(venv)
        editable = [p for dep in _local_closure(name, packages) for p in ("-e", str(dep))]
        _uv_pip_install(venv, [*editable, *_test_groups([packages[name]]), *TEST_TOOLS])
        _uv_pip_install_no_deps(venv, _no_deps([packages[name]]))
        if _pytest(venv, [str(packages[name] / "tests")]) != 0:
            failures.append(name)
    if not args:
        setup([])
        _banner("integration-tests: every package together")
        if _pytest(VENV, [str(ROOT / "integration-tests")]) != 0:
            failures.append("integration-tests")
        if check([]) != 0:
            failures.append("ruff/pyright")
    _banner("summary")
    if failures:
        print(f"FAILED: {', '.join(failures)}")
    else:
        print(f"all green: {', '.join(chosen)}" + ("" if args else ", integration-tests, checks"))
    # The closing line: the outcome counts of every pytest run above, summed.
    print(
        f"total: {TOTALS.get('passed', 0)} passed, {TOTALS.get('failed', 0)} failed, "
        f"{TOTALS.get('skipped', 0)} skipped"
    )
    return 1 if failures else 0


def check(args: list[str]) -> int:
    setup([])
    python = _python(VENV)
    status = 0
    for step in (
        [python, "-m", "ruff", "check", "."],
        [python, "-m", "ruff", "format", "--check", "."],
        [_bin(VENV, "pyright"), *args],
    ):
        _banner(_show(step))
        status |= _run(step, check=False)
    return 1 if status else 0


def setup(args: list[str]) -> int:
    del args
    _make_venv(VENV)
    paths = list(_packages().values())
    editable = [p for path in paths for p in ("-e", str(path))]
    _uv_pip_install(VENV, [*editable, *_test_groups(paths), *DEV_TOOLS])
    _uv_pip_install_no_deps(VENV, _no_deps(paths))
    return 0


def pins(args: list[str]) -> int:
    """Re-lock (keeping locked versions; ``--upgrade`` takes the newest) and write the pins."""
    uv = _uv()
    _run([uv, "lock", *(["--upgrade"] if "--upgrade" in args else [])], cwd=ROOT)
    exported = subprocess.run(
        [
            *(uv, "export", "--all-packages", "--all-groups", "--all-extras"),
            *("--no-hashes", "--no-emit-workspace", "--no-header", "--no-annotate"),
            *("--format", "requirements-txt"),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = [line for line in exported.splitlines() if line.strip() and not line.startswith("-e")]
    leaking = [
        line for line in lines if re.search(r"https?://|--(extra-)?index-url|--find-links", line)
    ]
    if leaking:
        print(f"dev.py: refusing to write pins that name an index: {leaking[:3]}", file=sys.stderr)
        return 1
    header = (
        "# Resolved versions for every package of the workspace. Regenerate: python3 dev.py pins\n"
    )
    PINS.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {PINS.relative_to(ROOT)} ({len(lines)} pins)")
    return 0


# --- helpers ----------------------------------------------------------------------------------


def _packages() -> dict[str, Path]:
    """Workspace packages by folder name, in a stable order."""
    return {
        p.name: p for p in sorted((ROOT / "packages").iterdir()) if (p / "pyproject.toml").is_file()
    }


def _project(path: Path) -> dict[str, object]:
    import tomllib  # not at the top: dev.py must start on Python < 3.11 to say it needs 3.11

    data = tomllib.loads((path / "pyproject.toml").read_text(encoding="utf-8"))
    project: dict[str, object] = data["project"]
    return project


def _local_closure(name: str, packages: dict[str, Path]) -> list[Path]:
    """The package and every workspace package it depends on, transitively."""
    by_dist = {str(_project(path)["name"]): path for path in packages.values()}
    seen: list[Path] = []
    todo = [packages[name]]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.append(path)
        deps = _project(path).get("dependencies", [])
        assert isinstance(deps, list)
        for requirement in deps:
            dist = re.split(r"[\s<>=!~;\[]", str(requirement), maxsplit=1)[0]
            if dist in by_dist:
                todo.append(by_dist[dist])
    return seen


def _test_groups(paths: list[Path]) -> list[str]:
    """``--group`` options for the packages' ``test`` dependency groups (test-only deps)."""
    import tomllib

    options: list[str] = []
    for path in paths:
        data = tomllib.loads((path / "pyproject.toml").read_text(encoding="utf-8"))
        if "test" in data.get("dependency-groups", {}):
            options += ["--group", f"{path / 'pyproject.toml'}:test"]
    return options


def _no_deps(paths: list[Path]) -> list[str]:
    """Test requirements to install without their dependencies (``[tool.mxp-agents.test]``)."""
    import tomllib

    requirements: list[str] = []
    for path in paths:
        data = tomllib.loads((path / "pyproject.toml").read_text(encoding="utf-8"))
        table = data.get("tool", {}).get("mxp-agents", {}).get("test", {})
        requirements += [r for r in table.get("no-deps", []) if r not in requirements]
    return requirements


def _uv_pip_install_no_deps(venv: Path, requirements: list[str]) -> None:
    if requirements:
        _run([_uv(), "pip", "install", "-q", "--no-deps", "--python", _python(venv), *requirements])


def _uv() -> str:
    found = shutil.which("uv")
    if found:
        return found
    uv = _bin(TOOLS, "uv")
    if not Path(uv).exists():
        print("dev.py: uv not found; installing it into .tools/ with pip", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
        subprocess.run(
            [_python(TOOLS), "-m", "pip", "install", "-q", "-r", str(UV_PIN)], check=True
        )
    return uv


def _make_venv(venv: Path) -> None:
    if not (venv / "pyvenv.cfg").is_file():
        _run([_uv(), "venv", "-q", "--python", sys.executable, str(venv)])


def _uv_pip_install(venv: Path, requirements: list[str]) -> None:
    wheels = ["--find-links", str(WHEELS)] if _prebuild(requirements) else []
    options = ["-q", "--python", _python(venv), "-c", str(PINS), *wheels]
    _run([_uv(), "pip", "install", *options, *requirements])


def _prebuild(requirements: list[str]) -> bool:
    """Compile the `BUILT_ONCE` dependencies that ``requirements`` (``-e DIR`` / ``--group
    FILE:test`` options) may need, at their pinned versions, into .wheels/, once."""
    manifests = [Path(r.rsplit(":", 1)[0]) for r in requirements if "pyproject.toml" in r]
    manifests += [Path(r) / "pyproject.toml" for r in requirements if Path(r).is_dir()]
    text = "".join(m.read_text(encoding="utf-8") for m in manifests if m.is_file())
    pinned = dict(
        line.split("==", 1)
        for line in PINS.read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.startswith("#")
    )
    built = False
    for name in BUILT_ONCE:
        version = pinned.get(name, "").split(";")[0].strip()
        if not version or name not in text:
            continue
        stem = f"{name.replace('-', '_')}-{version}-"
        if not any(wheel.name.startswith(stem) for wheel in WHEELS.glob("*.whl")):
            print(f"dev.py: compiling {name}=={version} once into .wheels/ (minutes)", flush=True)
            wheel = ["wheel", "-q", "--no-deps", "-w", str(WHEELS), f"{name}=={version}"]
            _run([sys.executable, "-m", "pip", *wheel])
        built = True
    return built


def _pytest(venv: Path, paths: list[str]) -> int:
    """Run pytest, echoing its output, and add its outcome counts to `TOTALS`."""
    command = [_python(venv), "-m", "pytest", *paths]
    env = _env()
    last = ""
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            if line.startswith("=") and " in " in line:
                last = line
        status = process.wait()
    sys.stdout.flush()
    for count, outcome in _OUTCOMES.findall(last):
        key = "failed" if outcome.startswith("error") else outcome
        TOTALS[key] = TOTALS.get(key, 0) + int(count)
    if status == PYTEST_NO_TESTS:
        print(f"dev.py: no tests were collected in {paths}: that is a failure", file=sys.stderr)
        return 1
    return status


def _python(venv: Path) -> str:
    return _bin(venv, "python")


def _bin(venv: Path, name: str) -> str:
    folder = "Scripts" if os.name == "nt" else "bin"
    return str(venv / folder / (name + (".exe" if os.name == "nt" else "")))


def _run(command: list[str], *, check: bool = True, cwd: Path = ROOT) -> int:
    env = _env()
    return subprocess.run(command, cwd=cwd, check=check, env=env).returncode


# llama-cpp-python (the local model's extra) compiles llama.cpp: build only the library, on
# every core. A CMAKE_ARGS of your own wins.
LLAMA_CMAKE_ARGS = (
    "-DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF "
    "-DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_CURL=OFF"
)


def _env() -> dict[str, str]:
    """The environment for child processes: uv copies files (no hard links across mounts)."""
    return {
        **os.environ,
        "UV_LINK_MODE": os.environ.get("UV_LINK_MODE", "copy"),
        "CMAKE_ARGS": os.environ.get("CMAKE_ARGS", LLAMA_CMAKE_ARGS),
        "CMAKE_BUILD_PARALLEL_LEVEL": os.environ.get(
            "CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 2)
        ),
    }


def _show(command: object) -> str:
    if isinstance(command, list):
        return " ".join(str(part).replace(str(ROOT) + os.sep, "") for part in command)
    return str(command)


def _banner(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

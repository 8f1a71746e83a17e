"""lazy_exports and installed_file: loading a package's names on first use, finding a file in
an installed package without importing it."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from mxp_agents.primitives import installed_file, lazy_exports, package_dirs


def make_package(tmp_path: Path, name: str, files: dict[str, str]) -> None:
    root = tmp_path / name
    root.mkdir()
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_names_load_on_first_use_and_are_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_package(
        tmp_path,
        "lazy_pkg_one",
        {"__init__.py": "", "_impl.py": "VALUE = 42\n", "_broken.py": "import not_installed_x\n"},
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import lazy_pkg_one  # type: ignore[import-not-found]

    package: types.ModuleType = lazy_pkg_one
    package.__getattr__ = lazy_exports(  # type: ignore[attr-defined]
        "lazy_pkg_one",
        {"VALUE": ("_impl", None), "Broken": ("_broken", "extra1")},
        distribution="some-dist",
    )
    assert "lazy_pkg_one._impl" not in sys.modules
    assert package.VALUE == 42
    assert vars(package)["VALUE"] == 42  # cached: no second lookup
    with pytest.raises(
        ImportError, match=r"Broken needs the 'extra1' extra: pip install 'some-dist\[extra1\]'"
    ):
        _ = package.Broken
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = package.Nope


def test_a_missing_module_without_an_extra_is_raised_as_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_package(tmp_path, "lazy_pkg_two", {"__init__.py": ""})
    monkeypatch.syspath_prepend(str(tmp_path))
    import lazy_pkg_two  # type: ignore[import-not-found]

    lazy_pkg_two.__getattr__ = lazy_exports("lazy_pkg_two", {"X": ("_gone", None)})
    with pytest.raises(ModuleNotFoundError, match=r"lazy_pkg_two\._gone"):
        _ = lazy_pkg_two.X


def test_installed_file_does_not_import_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_package(
        tmp_path,
        "bundled_pkg",
        {"__init__.py": "raise RuntimeError('must not be imported')\n", "model/weights.bin": "w"},
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = installed_file("bundled_pkg", "model/weights.bin", distribution="not-a-dist")
    assert found == tmp_path / "bundled_pkg" / "model" / "weights.bin"
    assert installed_file("bundled_pkg", "model/missing.bin") is None
    assert package_dirs("bundled_pkg") == [tmp_path / "bundled_pkg"]
    assert "bundled_pkg" not in sys.modules
    assert installed_file("no_such_package_xyz", "x") is None

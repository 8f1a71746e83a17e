"""Shared fixtures of the mxp tests: the reference codec's test vectors.

The vectors come from ``shared/mxp/vectors.json`` beside the checkout when it is there (the
source of truth), else from the copy in ``tests/data`` (for clones without it). A test checks
that the two agree.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

COPY = Path(__file__).resolve().parent / "data" / "vectors.json"


def shared_vectors_path() -> Path | None:
    env = os.environ.get("MXP_VECTORS")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "mxp" / "vectors.json"
        if candidate.is_file():
            return candidate
    return None


def load_vectors() -> list[dict[str, Any]]:
    path = shared_vectors_path() or COPY
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return list(data["vectors"])


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    vectors = load_vectors()
    for name, valid in (("valid_vector", True), ("invalid_vector", False)):
        if name in metafunc.fixturenames:
            chosen = [v for v in vectors if v["valid"] is valid]
            metafunc.parametrize(name, chosen, ids=[v["name"] for v in chosen])
    if "all_vectors" in metafunc.fixturenames:
        metafunc.parametrize("all_vectors", [vectors], ids=["all"])


@pytest.fixture
def vector_paths() -> tuple[Path, Path | None]:
    """(the packaged copy, the shared source of truth or None)."""
    return COPY, shared_vectors_path()

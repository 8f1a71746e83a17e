"""Fixtures of the agent-cli tests; puts this folder on ``sys.path`` for the helper modules."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


@pytest.fixture
def sample_file_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "notes.txt").write_text("MXP frames have a 32-byte header.\n", encoding="utf-8")
    return folder

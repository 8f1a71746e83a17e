"""The embedded vector store (usearch) and the local embedder (onnxruntime) share one process.

usearch 2.26.2 and later make ``import onnxruntime`` crash with SIGSEGV once usearch is loaded,
so the pin keeps usearch below it; this test catches a pin that lets such a version back in.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "imports",
    [
        "import usearch.index; import onnxruntime",
        "import onnxruntime; import usearch.index",
        "from mxp_agents.memory import EmbeddedVectorStore, LocalEmbedder; "
        "EmbeddedVectorStore(4); LocalEmbedder()",
    ],
)
def test_both_native_libraries_load_in_either_order(imports: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"{imports}; print('loaded')"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert done.stdout.strip() == "loaded"

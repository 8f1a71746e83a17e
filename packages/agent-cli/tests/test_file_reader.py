"""The confined file reader: reads inside its folder, refuses every way out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mxp_agents.cli.tools import ToolInputError, file_reader, read_confined
from mxp_agents.primitives import ToolCall
from mxp_agents.tools import ToolExecutor, ToolRegistry


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "hello.txt").write_text("Hello, MXP!\n", encoding="utf-8")
    (root / "sub" / "deep.txt").write_text("deep\n", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("top secret\n", encoding="utf-8")
    return root


def test_reads_files_inside(folder: Path) -> None:
    assert read_confined(folder, "hello.txt") == "Hello, MXP!\n"
    assert read_confined(folder, "sub/deep.txt") == "deep\n"
    assert read_confined(folder, "./sub/./deep.txt") == "deep\n"


def test_symlink_inside_the_folder_is_fine(folder: Path) -> None:
    (folder / "link.txt").symlink_to("sub/deep.txt")
    (folder / "sublink").symlink_to(folder / "sub", target_is_directory=True)
    assert read_confined(folder, "link.txt") == "deep\n"
    assert read_confined(folder, "sublink/deep.txt") == "deep\n"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../secret.txt", "'..' is not allowed"),
        ("sub/../../secret.txt", "'..' is not allowed"),
        ("sub/..", "'..' is not allowed"),
        ("..\\secret.txt", "'..' is not allowed"),
        ("/etc/passwd", "is absolute"),
        ("C:\\Windows\\win.ini", "is absolute"),
        ("\\\\server\\share\\x", "is absolute"),
        ("", "give a relative file path"),
        ("a\x00b", "give a relative file path"),
        ("missing.txt", "no file 'missing.txt'"),
        ("sub", "is not a regular file"),
    ],
)
def test_refuses_escapes_and_bad_paths(folder: Path, path: str, message: str) -> None:
    with pytest.raises(ToolInputError) as caught:
        read_confined(folder, path)
    assert message in str(caught.value)


def test_refuses_an_absolute_path_even_inside_the_folder(folder: Path) -> None:
    with pytest.raises(ToolInputError, match="is absolute"):
        read_confined(folder, str(folder / "hello.txt"))


def test_refuses_symlinks_out(folder: Path, tmp_path: Path) -> None:
    (folder / "out.txt").symlink_to(tmp_path / "secret.txt")
    (folder / "outdir").symlink_to(tmp_path, target_is_directory=True)
    (folder / "sub" / "hop").symlink_to("../../secret.txt")
    for path in ("out.txt", "outdir/secret.txt", "sub/hop"):
        with pytest.raises(ToolInputError, match="resolves outside it through a symlink"):
            read_confined(folder, path)


def test_a_root_reached_through_a_symlink_still_works(folder: Path, tmp_path: Path) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(folder, target_is_directory=True)
    assert read_confined(alias, "hello.txt") == "Hello, MXP!\n"
    with pytest.raises(ToolInputError, match=r"'\.\.' is not allowed"):
        read_confined(alias, "../secret.txt")


def test_size_limit(folder: Path) -> None:
    (folder / "big.txt").write_bytes(b"x" * 101)
    assert read_confined(folder, "big.txt", max_bytes=101) == "x" * 101
    with pytest.raises(ToolInputError, match="has 101 bytes; at most 100"):
        read_confined(folder, "big.txt", max_bytes=100)


def test_invalid_utf8_is_replaced(folder: Path) -> None:
    (folder / "bin.txt").write_bytes(b"ok \xff\n")
    assert read_confined(folder, "bin.txt") == "ok \ufffd\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_refuses_a_fifo(folder: Path) -> None:
    os.mkfifo(folder / "pipe")
    with pytest.raises(ToolInputError, match=r"cannot open|not a regular file"):
        read_confined(folder, "pipe")


async def test_as_a_tool_through_the_executor(folder: Path, tmp_path: Path) -> None:
    (folder / "out.txt").symlink_to(tmp_path / "secret.txt")
    reader = file_reader(folder)
    assert reader.name == "read_file"
    assert reader.schema["required"] == ["path"]
    executor = ToolExecutor(ToolRegistry([reader]))
    ok = await executor.execute(ToolCall("c1", "read_file", {"path": "hello.txt"}))
    assert (ok.content, ok.is_error) == ("Hello, MXP!\n", False)
    for call_id, path in (("c2", "../secret.txt"), ("c3", "/etc/passwd"), ("c4", "out.txt")):
        refused = await executor.execute(ToolCall(call_id, "read_file", {"path": path}))
        assert refused.is_error, path
        assert "top secret" not in refused.content


def test_file_reader_needs_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ToolInputError, match="is not a folder"):
        file_reader(tmp_path / "nope")


def test_file_reader_defaults_to_the_working_directory(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(folder)
    assert file_reader()("hello.txt") == "Hello, MXP!\n"

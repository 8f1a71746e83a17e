import os
import pickle
import sys

import msgspec
import pytest

from mxp_agents.config import (
    ConfigError,
    ConfigFileError,
    ConfigValueError,
    MissingConfigValue,
    SecretError,
    Source,
    UnknownConfigKey,
    load_config,
    load_section,
)
from mxp_agents.primitives import MxpAgentsError


class Kernel(msgspec.Struct, frozen=True):
    max_concurrency: int = 8
    name: str = "k"

    def __post_init__(self) -> None:
        if self.max_concurrency > 100:
            raise ValueError(f"max_concurrency must be <= 100, got {self.max_concurrency}")


class App(msgspec.Struct, frozen=True):
    kernel: Kernel = Kernel()


def write(tmp_path, text):
    path = tmp_path / "agent.toml"
    path.write_text(text, encoding="utf-8")
    return path


def message(**kwargs) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(App, **kwargs)
    return str(caught.value)


@pytest.mark.parametrize(
    "error",
    [
        ConfigError,
        ConfigFileError,
        ConfigValueError,
        UnknownConfigKey,
        MissingConfigValue,
        SecretError,
    ],
)
def test_every_error_is_an_sdk_error_and_pickles(error):
    original = error("reason", "$.a", (Source.env("X"),), "hint")
    assert isinstance(original, MxpAgentsError)
    assert isinstance(original, ConfigError)
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is error
    assert str(copy) == str(original) == "reason - at $.a (from env X); hint"
    assert copy.source == Source.env("X")


def test_error_text_parts_are_optional():
    assert str(ConfigError("r")) == "r"
    assert ConfigError("r").source is None
    assert str(ConfigError("r", sources=(Source.file("/a", line=1), Source.overrides()))) == (
        "r (from file /a, line 1; overrides)"
    )


def test_bad_type_from_a_file_names_file_and_line(tmp_path):
    file = write(tmp_path, "# settings\n[kernel]\nname = 'x'\nmax_concurrency = 'many'\n")
    assert message(file=file, env={}) == (
        f"expected int, got str - at $.kernel.max_concurrency (from file {file}, line 4)"
    )


def test_bad_type_in_dotted_keys_and_inline_tables_names_the_line(tmp_path):
    file = write(tmp_path, "kernel.max_concurrency = 'x'\n")
    assert message(file=file, env={}).endswith(f"(from file {file}, line 1)")
    file = write(tmp_path, "\n\nkernel = { name = 'a', max_concurrency = [1] }\n")
    assert message(file=file, env={}) == (
        f"expected int, got array - at $.kernel.max_concurrency (from file {file}, line 3)"
    )


def test_relative_file_paths_are_shown_absolute(tmp_path, monkeypatch):
    write(tmp_path, "[kernel]\nmax_concurrency = true\n")
    monkeypatch.chdir(tmp_path)
    assert message(file="agent.toml", env={}) == (
        f"expected int, got bool - at $.kernel.max_concurrency "
        f"(from file {os.path.join(tmp_path, 'agent.toml')}, line 2)"
    )


def test_bad_type_from_env():
    assert message(env={"MXP_AGENTS_KERNEL__MAX_CONCURRENCY": "x"}) == (
        "expected int, got str - at $.kernel.max_concurrency "
        "(from env MXP_AGENTS_KERNEL__MAX_CONCURRENCY)"
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"kernel.max_concurrency": "x"},
        {"kernel": {"max_concurrency": "x"}},
    ],
)
def test_bad_type_from_overrides(overrides):
    assert message(env={}, overrides=overrides) == (
        "expected int, got str - at $.kernel.max_concurrency (from overrides)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[kernel]\nmax_concurency = 3\n",
            "unknown key 'max_concurency' - at $.kernel.max_concurency (from file {file}, line 2); "
            "did you mean 'max_concurrency'?",
        ),
        (
            "[kernal]\nname = 'x'\n",
            "unknown key 'kernal' - at $.kernal (from file {file}, line 1); did you mean 'kernel'?",
        ),
        (
            "[kernel]\nzzz = 1\n",
            "unknown key 'zzz' - at $.kernel.zzz (from file {file}, line 2); "
            "known keys here: 'max_concurrency', 'name'",
        ),
        (
            "[kernel.name]\nx = 1\n",
            "expected str, got object - at $.kernel.name (from file {file}, line 1)",
        ),
        (
            "kernel = 5\n",
            "expected table, got int - at $.kernel (from file {file}, line 1); "
            "'kernel' is a section; set its keys inside a table",
        ),
    ],
)
def test_unknown_and_misplaced_keys_in_a_file(tmp_path, text, expected):
    file = write(tmp_path, text)
    assert message(file=file, env={}) == expected.format(file=file)


@pytest.mark.parametrize(
    ("overrides", "error", "expected"),
    [
        (
            {"kernel.nmae": "x"},
            UnknownConfigKey,
            "unknown key 'nmae' - at $.kernel.nmae (from overrides); did you mean 'name'?",
        ),
        (
            {"kernel": {"nmae": "x"}},
            UnknownConfigKey,
            "unknown key 'nmae' - at $.kernel.nmae (from overrides); did you mean 'name'?",
        ),
        (
            {"kernel.name.first": "x"},
            UnknownConfigKey,
            "unknown key 'first': 'name' is a value, not a section - at $.kernel.name.first "
            "(from overrides)",
        ),
        (
            {"kernel..name": "x"},
            UnknownConfigKey,
            "malformed key 'kernel..name': empty part between dots - at $ (from overrides)",
        ),
        (
            {"kernel": 3},
            ConfigValueError,
            "expected mapping, got int - at $.kernel (from overrides); "
            "'kernel' is a section; set its keys inside a mapping",
        ),
        (
            {"kernel.name": "a", "kernel": {"name": "b"}},
            ConfigValueError,
            "key set more than once - at $.kernel.name (from overrides)",
        ),
        (
            {1: "x"},
            ConfigValueError,
            "keys must be str, got int - at $ (from overrides)",
        ),
    ],
)
def test_override_errors(overrides, error, expected):
    with pytest.raises(error) as caught:
        load_config(App, env={}, overrides=overrides)
    assert str(caught.value) == expected


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigFileError) as caught:
        load_config(App, file=missing, env={})
    assert str(caught.value) == (
        f"config file not found (from file {missing}); check the path, or load without a file"
    )


def test_directory_instead_of_a_file(tmp_path):
    with pytest.raises(ConfigFileError) as caught:
        load_config(App, file=tmp_path, env={})
    assert str(caught.value) == f"config file is a directory (from file {tmp_path})"


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX permissions")
def test_unreadable_file(tmp_path):
    file = write(tmp_path, "")
    file.chmod(0)
    with pytest.raises(ConfigFileError) as caught:
        load_config(App, file=file, env={})
    assert str(caught.value) == f"cannot read config file: Permission denied (from file {file})"


def test_file_that_is_not_utf8(tmp_path):
    file = tmp_path / "agent.toml"
    file.write_bytes(b"[kernel]\nname = '\xff'\n")
    with pytest.raises(ConfigFileError) as caught:
        load_config(App, file=file, env={})
    assert str(caught.value) == f"config file is not valid UTF-8 (from file {file}, line 2)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[kernel]\nmax_concurrency = \n",
            "invalid TOML: invalid value (from file {file}, line 2, column 19)",
        ),
        (
            "[kernel\n",
            "invalid TOML: expected ']' at the end of a table declaration "
            "(from file {file}, line 1, column 8)",
        ),
        ("name = 'unterminated\n", "invalid TOML: "),
    ],
)
def test_toml_syntax_errors_name_the_file_and_line(tmp_path, text, expected):
    file = write(tmp_path, text)
    with pytest.raises(ConfigFileError) as caught:
        load_config(App, file=file, env={})
    assert str(caught.value).startswith(expected.format(file=file))
    assert caught.value.source is not None
    assert caught.value.source.line is not None


def test_byte_order_mark_is_accepted(tmp_path):
    file = tmp_path / "agent.toml"
    file.write_bytes(b"\xef\xbb\xbf[kernel]\nname = 'bom'\n")
    assert load_config(App, file=file, env={}).kernel.name == "bom"


def test_section_rules_are_reported_with_the_sources_that_set_the_section(tmp_path):
    file = write(tmp_path, "[kernel]\nmax_concurrency = 500\n")
    assert message(file=file, env={"MXP_AGENTS_KERNEL__NAME": "n"}) == (
        "max_concurrency must be <= 100, got 500 - at $.kernel "
        f"(from file {file}, line 2; env MXP_AGENTS_KERNEL__NAME)"
    )

    class Picky(msgspec.Struct, kw_only=True):
        low: int
        high: int = 10

        def __post_init__(self) -> None:
            if self.low > self.high:
                raise ValueError("low must not exceed high")

    class Root(msgspec.Struct):
        picky: Picky

    with pytest.raises(ConfigValueError) as caught:
        load_config(Root, env={"MXP_AGENTS_PICKY__LOW": "20"})
    assert str(caught.value) == (
        "low must not exceed high - at $.picky (from env MXP_AGENTS_PICKY__LOW)"
    )

    class Always(msgspec.Struct):
        value: int = 1

        def __post_init__(self) -> None:
            if self.value == 1:
                raise ValueError("the default is not valid")

    class WithDefaultsOnly(msgspec.Struct):
        always: Always

    with pytest.raises(ConfigValueError) as caught:
        load_config(WithDefaultsOnly, env={})
    assert str(caught.value) == "the default is not valid - at $.always (from defaults)"


def test_invalid_arguments():
    with pytest.raises(
        ConfigError, match=r"a config schema must be a msgspec.Struct class, got <class 'dict'>"
    ):
        load_config(dict, env={})  # type: ignore[type-var]
    with pytest.raises(ConfigError, match="env_prefix cannot be empty"):
        load_config(App, env={}, env_prefix="")
    with pytest.raises(ConfigError, match=r"invalid section name 'Kernel'"):
        load_section(Kernel, "Kernel", env={})
    with pytest.raises(ConfigError, match=r"invalid section name 'a..b'"):
        load_section(Kernel, "a..b", env={})


def test_errors_do_not_chain_internal_exceptions():
    with pytest.raises(ConfigError) as caught:
        load_config(App, env={"MXP_AGENTS_KERNEL__MAX_CONCURRENCY": "x"})
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None

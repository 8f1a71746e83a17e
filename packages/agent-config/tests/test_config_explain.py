import datetime as dt

import msgspec
import pytest

from mxp_agents.config import (
    ConfigEntry,
    ConfigValueError,
    Source,
    UnknownConfigKey,
    explain_config,
    parse_duration,
)


class Http(msgspec.Struct, frozen=True):
    timeout: dt.timedelta = dt.timedelta(seconds=10)


class Kernel(msgspec.Struct, frozen=True):
    workers: int = 4
    name: str = "k"
    http: Http = Http()


class App(msgspec.Struct, frozen=True):
    kernel: Kernel = Kernel()
    debug: bool = False


def test_every_value_reports_the_layer_that_set_it(tmp_path):
    file = tmp_path / "agent.toml"
    file.write_text("[kernel]\nworkers = 2\nname = 'file'\n")
    explained = explain_config(
        App,
        file=file,
        env={"MXP_AGENTS_KERNEL__NAME": "env", "MXP_AGENTS_KERNEL__HTTP__TIMEOUT": "5s"},
        overrides={"debug": True},
    )
    assert explained.value == App(
        kernel=Kernel(workers=2, name="env", http=Http(timeout=dt.timedelta(seconds=5))),
        debug=True,
    )
    assert explained.sources == {
        "kernel.workers": Source.file(str(file), line=2),
        "kernel.name": Source.env("MXP_AGENTS_KERNEL__NAME"),
        "kernel.http.timeout": Source.env("MXP_AGENTS_KERNEL__HTTP__TIMEOUT"),
        "debug": Source.overrides(),
    }
    assert explained.entries[0] == ConfigEntry("kernel.workers", 2, Source.file(str(file), line=2))
    assert explained.render() == "\n".join(
        [
            f"kernel.workers = 2  # file {file}, line 2",
            'kernel.name = "env"  # env MXP_AGENTS_KERNEL__NAME',
            'kernel.http.timeout = "PT5S"  # env MXP_AGENTS_KERNEL__HTTP__TIMEOUT',
            "debug = true  # overrides",
        ]
    )


def test_defaults_are_reported_as_defaults():
    explained = explain_config(App, env={})
    assert explained.source_of("kernel.workers") == Source.defaults()
    assert str(explained.source_of("debug")) == "defaults"
    with pytest.raises(
        UnknownConfigKey, match=r"unknown key 'kernel'; known keys: kernel\.workers"
    ):
        explained.source_of("kernel")


def test_explain_a_single_section():
    explained = explain_config(Kernel, section="kernel", env={}, overrides={"workers": 1})
    assert explained.value.workers == 1
    assert explained.sources["kernel.workers"] == Source.overrides()
    assert explained.sources["kernel.http.timeout"] == Source.defaults()


def test_explain_render_falls_back_to_repr_for_unencodable_values():
    class Odd(msgspec.Struct, frozen=True):
        thing: object = object

    assert explain_config(Odd, env={}).render() == "thing = <class 'object'>  # defaults"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0),
        ("1.5", 1.5),
        ("30s", 30),
        ("250ms", 0.25),
        ("2m", 120),
        ("1h30m", 5400),
        ("1h 30m 5s", 5405),
        ("1d", 86400),
        ("PT30S", 30),
        ("pt1m", 60),
        ("P1DT1H", 90000),
        ("-PT5S", -5),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "5 minutes", "1x", "-5s", "PT", "s"])
def test_parse_duration_rejects_other_text(text):
    with pytest.raises(ConfigValueError) as caught:
        parse_duration(text)
    assert str(caught.value) == (
        f"invalid duration {text!r}; use seconds or units such as 30s, 1m30s, 250ms, 2h, 1d, "
        "or PT30S"
    )


def test_durations_from_files_and_overrides(tmp_path):
    file = tmp_path / "agent.toml"
    file.write_text("[kernel.http]\ntimeout = 2.5\n")
    assert explain_config(App, file=file, env={}).value.kernel.http.timeout == dt.timedelta(
        seconds=2.5
    )
    overrides = {"kernel.http.timeout": "1m"}
    assert explain_config(App, env={}, overrides=overrides).value.kernel.http.timeout == (
        dt.timedelta(minutes=1)
    )
    overrides = {"kernel.http.timeout": dt.timedelta(seconds=3)}
    assert explain_config(App, env={}, overrides=overrides).value.kernel.http.timeout == (
        dt.timedelta(seconds=3)
    )
    with pytest.raises(ConfigValueError) as caught:
        explain_config(App, env={}, overrides={"kernel.http.timeout": True})
    assert str(caught.value).startswith(
        "expected duration, got bool (use seconds or units such as 30s"
    )
    assert str(caught.value).endswith("- at $.kernel.http.timeout (from overrides)")

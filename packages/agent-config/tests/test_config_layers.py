import msgspec
import pytest

from mxp_agents.config import (
    ConfigValueError,
    MissingConfigValue,
    Source,
    UnknownConfigKey,
    load_config,
    load_section,
)


class Http(msgspec.Struct, frozen=True):
    timeout: float = 10.0
    retries: int = 2


class Tools(msgspec.Struct, frozen=True):
    http: Http = Http()
    allowed: list[str] = msgspec.field(default_factory=lambda: ["echo"])


class Kernel(msgspec.Struct, frozen=True):
    max_concurrency: int = 8
    name: str = "kernel"
    labels: dict[str, str] = {}


class App(msgspec.Struct, frozen=True):
    kernel: Kernel = Kernel()
    tools: Tools = Tools()
    debug: bool = False


def write(tmp_path, text, name="agent.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_nothing_is_set():
    assert load_config(App, env={}) == App()


def test_each_layer_overrides_the_previous_one(tmp_path):
    file = write(tmp_path, "debug = true\n[kernel]\nmax_concurrency = 2\nname = 'from-file'\n")
    env = {"MXP_AGENTS_KERNEL__MAX_CONCURRENCY": "3", "MXP_AGENTS_DEBUG": "false"}
    overrides = {"kernel.max_concurrency": 4}

    only_file = load_config(App, file=file, env=None)
    assert (only_file.kernel.max_concurrency, only_file.kernel.name, only_file.debug) == (
        2,
        "from-file",
        True,
    )
    with_env = load_config(App, file=file, env=env)
    assert (with_env.kernel.max_concurrency, with_env.kernel.name, with_env.debug) == (
        3,
        "from-file",
        False,
    )
    everything = load_config(App, file=file, env=env, overrides=overrides)
    assert (everything.kernel.max_concurrency, everything.kernel.name, everything.debug) == (
        4,
        "from-file",
        False,
    )
    assert load_config(App, env=env, overrides=overrides).kernel.name == "kernel"


@pytest.mark.parametrize(
    ("file_value", "env_value", "override", "expected"),
    [
        (None, None, None, 8),
        (1, None, None, 1),
        (None, "2", None, 2),
        (None, None, 3, 3),
        (1, "2", None, 2),
        (1, None, 3, 3),
        (None, "2", 3, 3),
        (1, "2", 3, 3),
    ],
)
def test_precedence_for_every_combination(tmp_path, file_value, env_value, override, expected):
    file = write(
        tmp_path, "" if file_value is None else f"[kernel]\nmax_concurrency = {file_value}\n"
    )
    env = {} if env_value is None else {"MXP_AGENTS_KERNEL__MAX_CONCURRENCY": env_value}
    overrides = {} if override is None else {"kernel": {"max_concurrency": override}}
    assert (
        load_config(App, file=file, env=env, overrides=overrides).kernel.max_concurrency == expected
    )


def test_nested_sections_from_every_layer(tmp_path):
    file = write(tmp_path, "[tools.http]\ntimeout = 5\n")
    config = load_config(
        App,
        file=file,
        env={"MXP_AGENTS_TOOLS__HTTP__RETRIES": "7"},
        overrides={"tools": {"allowed": ["search"]}},
    )
    assert config.tools == Tools(http=Http(timeout=5.0, retries=7), allowed=["search"])
    dotted = load_config(App, env={}, overrides={"tools.http.timeout": 1.5})
    assert dotted.tools.http == Http(timeout=1.5)


def test_lists_and_maps_are_replaced_whole_not_merged(tmp_path):
    file = write(
        tmp_path, "[kernel]\nlabels = { a = '1', b = '2' }\n[tools]\nallowed = ['x', 'y']\n"
    )
    config = load_config(
        App,
        file=file,
        env={"MXP_AGENTS_KERNEL__LABELS": '{"c": "3"}'},
        overrides={"tools.allowed": ["z"]},
    )
    assert config.kernel.labels == {"c": "3"}
    assert config.tools.allowed == ["z"]


def test_overrides_accept_a_section_instance():
    config = load_config(
        App, env={"MXP_AGENTS_TOOLS__HTTP__RETRIES": "9"}, overrides={"tools": Tools(allowed=["a"])}
    )
    assert config.tools == Tools(allowed=["a"])
    with pytest.raises(
        ConfigValueError, match=r"key set more than once - at \$\.tools\.http\.retries"
    ):
        load_config(App, env={}, overrides={"tools": Tools(), "tools.http.retries": 9})


def test_env_none_ignores_the_environment(monkeypatch):
    monkeypatch.setenv("MXP_AGENTS_KERNEL__MAX_CONCURRENCY", "11")
    assert load_config(App, env=None).kernel.max_concurrency == 8
    assert load_config(App).kernel.max_concurrency == 11


def test_custom_env_prefix():
    env = {"MYAPP_KERNEL__NAME": "custom", "MXP_AGENTS_UNRELATED": "x"}
    assert load_config(App, env=env, env_prefix="MYAPP_").kernel.name == "custom"


def test_parent_default_instances_are_kept():
    class Outer(msgspec.Struct, frozen=True):
        kernel: Kernel = Kernel(max_concurrency=1, name="custom-default")

    assert load_config(Outer, env={}).kernel == Kernel(max_concurrency=1, name="custom-default")
    partial = load_config(Outer, env={"MXP_AGENTS_KERNEL__NAME": "env"})
    assert partial.kernel == Kernel(max_concurrency=1, name="env")


def test_sections_without_defaults_and_default_factories():
    class Root(msgspec.Struct, kw_only=True):
        kernel: Kernel
        tools: Tools = msgspec.field(default_factory=lambda: Tools(allowed=["factory"]))

    config = load_config(Root, env={})
    assert config.kernel == Kernel()
    assert config.tools.allowed == ["factory"]


def test_required_values_must_be_set_by_some_layer():
    class Model(msgspec.Struct, frozen=True, kw_only=True):
        name: str
        temperature: float = 0.0

    class Root(msgspec.Struct, frozen=True):
        model: Model = msgspec.field(default_factory=lambda: Model(name="default-model"))

    class NoDefault(msgspec.Struct):
        model: Model

    assert load_config(Root, env={}).model.name == "default-model"
    assert load_config(NoDefault, env={"MXP_AGENTS_MODEL__NAME": "m"}).model.name == "m"
    with pytest.raises(MissingConfigValue) as caught:
        load_config(NoDefault, env={})
    assert str(caught.value) == (
        "missing required value - at $.model.name; set it in the config file, "
        "with env MXP_AGENTS_MODEL__NAME, or in overrides"
    )


def test_load_section_reads_only_its_own_table_and_variables(tmp_path):
    file = write(
        tmp_path,
        "[kernel]\nmax_concurrency = 2\n[other]\nanything = 1\n[tools.http]\nretries = 4\n",
    )
    env = {"MXP_AGENTS_KERNEL__NAME": "env", "MXP_AGENTS_OTHER__X": "1", "MXP_AGENTS_Y": "2"}
    kernel = load_section(Kernel, "kernel", file=file, env=env, overrides={"labels": {"a": "b"}})
    assert kernel == Kernel(max_concurrency=2, name="env", labels={"a": "b"})
    http = load_section(Http, "tools.http", file=file, env={"MXP_AGENTS_TOOLS__HTTP__TIMEOUT": "3"})
    assert http == Http(timeout=3.0, retries=4)
    assert load_section(Kernel, "absent", file=file, env={}) == Kernel()


def test_load_section_errors_carry_the_full_path(tmp_path):
    with pytest.raises(ConfigValueError) as caught:
        load_section(Kernel, "kernel", env={}, overrides={"max_concurrency": "x"})
    assert (
        str(caught.value) == "expected int, got str - at $.kernel.max_concurrency (from overrides)"
    )
    with pytest.raises(UnknownConfigKey) as caught:
        load_section(Kernel, "kernel", env={"MXP_AGENTS_KERNEL__NAMES": "x"})
    assert str(caught.value) == (
        "unknown key 'names' - at $.kernel.names (from env MXP_AGENTS_KERNEL__NAMES); "
        "did you mean MXP_AGENTS_KERNEL__NAME?"
    )
    file = write(tmp_path, "kernel = 3\n")
    with pytest.raises(ConfigValueError) as caught:
        load_section(Kernel, "kernel", file=file, env={})
    assert str(caught.value) == f"expected table, got int - at $.kernel (from file {file}, line 1)"
    with pytest.raises(ConfigValueError, match="names a section, not a value"):
        load_section(Kernel, "kernel", env={"MXP_AGENTS_KERNEL": "x"})


def test_root_level_values_and_sources(tmp_path):
    file = write(tmp_path, "debug = true\n")
    config = load_config(App, file=file, env={})
    assert config.debug is True
    assert Source.file(str(file), line=1) == Source(layer="file", name=str(file), line=1)

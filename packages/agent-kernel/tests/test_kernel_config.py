"""`KernelConfig`: defaults, validation, and loading as the ``kernel`` config section."""

import pytest

from mxp.registry import RegistryClientConfig
from mxp_agents.config import ConfigError, load_section
from mxp_agents.kernel import KernelConfig, KernelConfigError, KernelError, PriorityWeights


def test_defaults():
    config = KernelConfig()
    assert (config.host, config.port, config.registry, config.capabilities) == (
        "127.0.0.1",
        0,
        None,
        None,
    )
    assert (config.max_concurrency, config.queue_size) == (32, 1024)
    assert config.weights == PriorityWeights(control=8, interactive=4, background=1)
    assert config.registry_client == RegistryClientConfig()


def test_endpoint_config_has_room_for_every_admitted_call():
    config = KernelConfig(max_concurrency=100, queue_size=1000)
    assert config.endpoint_config().max_concurrent_handlers == 1116
    small = KernelConfig(max_concurrency=2, queue_size=3)
    assert small.endpoint_config() is small.endpoint  # the default 256 already fits


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"max_concurrency": 0}, "KernelConfig.max_concurrency: expected an int >= 1, got 0"),
        ({"queue_size": -1}, "KernelConfig.queue_size: expected an int >= 0, got -1"),
        ({"port": 70000}, "KernelConfig.port: expected an int <= 65535, got 70000"),
        ({"host": " "}, "KernelConfig.host: expected a non-empty str"),
        ({"registry": "localhost"}, "KernelConfig.registry: expected 'ip:port'"),
        ({"capabilities": ("Math",)}, "KernelConfig.capabilities[0]: invalid capability id"),
        ({"drain_timeout": 0}, "KernelConfig.drain_timeout: expected a finite number of seconds"),
        ({"tick_interval": -1.0}, "KernelConfig.tick_interval: expected a finite number"),
        ({"default_deadline": 10.0, "max_deadline": 5.0}, "cannot exceed max_deadline"),
        ({"max_concurrency": True}, "KernelConfig.max_concurrency: expected an int, got True"),
    ],
)
def test_bad_values_name_the_field(overrides, message):
    with pytest.raises(KernelConfigError) as caught:
        KernelConfig(**overrides)
    assert message in str(caught.value)
    assert isinstance(caught.value, KernelError)


def test_loads_as_the_kernel_section(tmp_path):
    file = tmp_path / "agents.toml"
    file.write_text(
        "[kernel]\n"
        'registry = "127.0.0.1:50051"\n'
        'capabilities = ["math.add"]\n'
        "max_concurrency = 8\n"
        "[kernel.weights]\n"
        "background = 2\n"
        "[kernel.registry_client]\n"
        "heartbeat_interval = 2.5\n"
    )
    env = {"MXP_AGENTS_KERNEL__QUEUE_SIZE": "64", "MXP_AGENTS_KERNEL__TICK_INTERVAL": "1.5"}
    config = load_section(KernelConfig, "kernel", file=file, env=env, overrides={"port": 7001})
    assert config.registry == "127.0.0.1:50051"
    assert config.capabilities == ("math.add",)
    assert (config.max_concurrency, config.queue_size, config.port) == (8, 64, 7001)
    assert config.tick_interval == 1.5
    assert config.weights.background == 2
    assert config.registry_client.heartbeat_interval == 2.5


def test_loading_reports_bad_values_with_their_path():
    with pytest.raises(ConfigError) as caught:
        load_section(KernelConfig, "kernel", env={}, overrides={"max_concurrency": "many"})
    assert "$.kernel.max_concurrency" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        load_section(KernelConfig, "kernel", env={}, overrides={"max_concurrency": 0})
    assert "expected an int >= 1" in str(caught.value)
    assert "$.kernel" in str(caught.value)
    with pytest.raises(ConfigError, match="unknown"):
        load_section(KernelConfig, "kernel", env={}, overrides={"max_concurency": 3})

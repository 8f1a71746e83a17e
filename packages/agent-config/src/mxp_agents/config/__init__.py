"""Typed configuration for MXP Agents: msgspec sections loaded from defaults, a TOML file,
``MXP_AGENTS_*`` environment variables and explicit overrides, in that order of precedence.

Each component declares its section as a frozen `msgspec.Struct` with defaults; an application
composes the sections into one root Struct and calls `load_config`.
Values that do not fit their field are errors naming the path and the layer, unknown keys are
errors too, and `Secret` values never appear in reprs, logs, errors or encoded output.

Example:
    >>> import msgspec
    >>> from mxp_agents.config import Secret, load_config
    >>> class KernelConfig(msgspec.Struct, frozen=True):
    ...     max_concurrency: int = 8
    ...     api_key: Secret | None = None
    >>> class AppConfig(msgspec.Struct, frozen=True):
    ...     kernel: KernelConfig = KernelConfig()
    >>> config = load_config(
    ...     AppConfig,
    ...     env={"MXP_AGENTS_KERNEL__API_KEY": "sk-123"},
    ...     overrides={"kernel.max_concurrency": 2},
    ... )
    >>> config.kernel
    KernelConfig(max_concurrency=2, api_key=Secret('**********'))
"""

from mxp_agents.config._duration import parse_duration
from mxp_agents.config._errors import (
    ConfigError,
    ConfigFileError,
    ConfigValueError,
    MissingConfigValue,
    SecretError,
    UnknownConfigKey,
)
from mxp_agents.config._explain import ConfigEntry, ExplainedConfig
from mxp_agents.config._hooks import config_dec_hook, config_enc_hook, dump_config
from mxp_agents.config._loader import DEFAULT_ENV_PREFIX, explain_config, load_config, load_section
from mxp_agents.config._secret import MASK, Secret
from mxp_agents.config._source import Layer, Source

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_ENV_PREFIX",
    "MASK",
    "ConfigEntry",
    "ConfigError",
    "ConfigFileError",
    "ConfigValueError",
    "ExplainedConfig",
    "Layer",
    "MissingConfigValue",
    "Secret",
    "SecretError",
    "Source",
    "UnknownConfigKey",
    "config_dec_hook",
    "config_enc_hook",
    "dump_config",
    "explain_config",
    "load_config",
    "load_section",
    "parse_duration",
]

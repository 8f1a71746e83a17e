import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mxp_agents.prompts import (
    InvalidArgument,
    MissingVariableError,
    Placeholder,
    PromptTemplate,
    TemplateSyntaxError,
    UnknownVariableError,
    escape,
)


@dataclasses.dataclass
class User:
    name: str
    _token: str = "secret"


def test_renders_placeholders_with_and_without_spaces():
    template = PromptTemplate("{{name}}|{{ name }}|{{\tname  }}")
    assert template.render(name="Ada") == "Ada|Ada|Ada"


def test_values_are_rendered_with_str():
    template = PromptTemplate("{{ a }} {{ b }} {{ c }} {{ d }}")
    assert template.render(a=1, b=2.5, c=None, d=[1, "x"]) == "1 2.5 None [1, 'x']"


def test_dotted_names_read_mappings_attributes_and_indices():
    template = PromptTemplate("{{ user.name }} {{ team.lead.name }} {{ items.1 }} {{ cfg.k_1 }}")
    text = template.render(
        user=User("Ada"), team={"lead": User("Grace")}, items=["a", "b"], cfg={"k_1": 7}
    )
    assert text == "Ada Grace b 7"
    assert template.variables == ("user", "team", "items", "cfg")


def test_missing_dotted_key_names_the_full_path_and_position():
    template = PromptTemplate("Dear\n  {{ user.email }}", name="mail")
    with pytest.raises(MissingVariableError) as caught:
        template.render(user={"name": "Ada"})
    error = caught.value
    assert error.names == ("user.email",)
    assert (error.template, error.line, error.column) == ("mail", 2, 3)
    assert "'user' has no key, index or attribute 'email'" in str(error)
    assert "at template 'mail' line 2, column 3" in str(error)


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (User("Ada"), "user._token"),  # private attributes are not reachable
        (["a"], "user.3"),  # index out of range
        ("text", "user.0"),  # strings are not indexed
    ],
)
def test_unreachable_segments_are_missing(value, path):
    with pytest.raises(MissingVariableError) as caught:
        PromptTemplate("{{ " + path + " }}").render(user=value)
    assert caught.value.names == (path,)


def test_missing_required_variables_are_listed_in_order_of_first_use():
    template = PromptTemplate("{{ b }} then {{ a }} and {{ b }}", name="t")
    with pytest.raises(MissingVariableError) as caught:
        template.render()
    assert caught.value.names == ("b", "a")
    assert caught.value.name == "b"
    assert (caught.value.line, caught.value.column) == (1, 1)
    assert "missing required variables 'b', 'a'" in str(caught.value)


def test_optional_variables_have_defaults_and_can_be_overridden():
    template = PromptTemplate("{{ greeting }}, {{ name }}", optional={"greeting": "Hello"})
    assert template.required == ("name",)
    assert dict(template.optional) == {"greeting": "Hello"}
    assert template.render(name="Ada") == "Hello, Ada"
    assert template.render(name="Ada", greeting="Hi") == "Hi, Ada"


def test_explicit_required_declares_every_placeholder():
    template = PromptTemplate("{{ a }} {{ b }}", required=["a"], optional={"b": ""})
    assert template.required == ("a",)
    with pytest.raises(TemplateSyntaxError) as caught:
        PromptTemplate("{{ a }}\n{{ typo }}", required=["a"], name="t")
    assert (caught.value.line, caught.value.column) == (2, 1)
    assert "placeholder 'typo' is not declared" in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"required": ["a", "unused"]}, "declared variable 'unused' is not used"),
        ({"optional": {"unused": 1}}, "declared variable 'unused' is not used"),
        ({"required": ["a"], "optional": {"a": 1}}, "declared both required and optional"),
        ({"required": ["a.b"]}, "declared variable 'a.b' is not a valid name"),
    ],
)
def test_inconsistent_declarations_are_errors(kwargs, reason):
    with pytest.raises(TemplateSyntaxError) as caught:
        PromptTemplate("{{ a }}", name="t", **kwargs)
    assert reason in str(caught.value)
    assert caught.value.line is None


def test_unknown_variables_are_errors_in_strict_mode():
    template = PromptTemplate("Hi {{ name }}", name="greeting")
    with pytest.raises(UnknownVariableError) as caught:
        template.render(name="Ada", nmae="Ada", tone="dry")
    error = caught.value
    assert error.names == ("nmae", "tone")
    assert error.known == ("name",)
    assert "did you mean 'name'?" in str(error)
    assert "pass allow_extra=True" in str(error)


def test_allow_extra_ignores_unknown_variables():
    template = PromptTemplate("Hi {{ name }}", allow_extra=True)
    assert template.render({"name": "Ada", "other": 1}) == "Hi Ada"


def test_mapping_and_keywords_merge_but_not_twice():
    template = PromptTemplate("{{ a }}{{ b }}")
    assert template.render({"a": 1}, b=2) == "12"
    with pytest.raises(InvalidArgument, match="'a' is given twice"):
        template.render({"a": 1}, a=2)


def test_template_without_placeholders_is_static_and_still_strict():
    template = PromptTemplate("plain } text {")
    assert template.render() == "plain } text {"
    with pytest.raises(UnknownVariableError):
        template.render(x=1)


@pytest.mark.parametrize(
    ("source", "rendered"),
    [
        ("{{{{ name }}", "{{ name }}"),
        ("a }} b", "a }} b"),
        ("{ single }", "{ single }"),
        ("{{{{{{{{", "{{{{"),
        ("x {{{{ {{ v }} }} y", "x {{ 1 }} y"),
    ],
)
def test_escaping(source, rendered):
    template = PromptTemplate(source, allow_extra=True)
    assert template.render(v=1) == rendered


@pytest.mark.parametrize(
    ("source", "reason", "line", "column"),
    [
        ("Hi {{ name", "unclosed '{{'", 1, 4),
        ("line one\nline two {{ x }} and {{ y", "unclosed '{{'", 2, 22),
        ("{{ x\n}}", "unclosed '{{'", 1, 1),
        ("{{ a {{ b }}", "unclosed '{{'", 1, 1),
        ("ok\n\n   {{ }}", "empty placeholder", 3, 4),
        ("{{ 1abc }}", "invalid placeholder '1abc'", 1, 1),
        ("{{ a. }}", "invalid placeholder 'a.'", 1, 1),
        ("{{ a..b }}", "invalid placeholder 'a..b'", 1, 1),
        ("{{ a-b }}", "invalid placeholder 'a-b'", 1, 1),
        ("{{{ x }}}", "invalid placeholder '{ x'", 1, 1),
    ],
)
def test_syntax_errors_report_line_and_column(source, reason, line, column):
    with pytest.raises(TemplateSyntaxError) as caught:
        PromptTemplate(source, name="t")
    error = caught.value
    assert (error.reason, error.template, error.line, error.column) == (reason, "t", line, column)
    assert f"at template 't' line {line}, column {column}" in str(error)
    assert "'{{{{'" in str(error)  # the hint shows how to escape


def test_line_endings_of_the_source_are_normalised_but_values_are_not():
    template = PromptTemplate("a\r\nb\r{{ v }}")
    assert template.source == "a\nb\n{{ v }}"
    assert template.render(v="x\r\ny") == "a\nb\nx\r\ny"
    with pytest.raises(TemplateSyntaxError) as caught:
        PromptTemplate("a\r\n{{ x")
    assert (caught.value.line, caught.value.column) == (2, 1)


def test_placeholders_and_repr():
    template = PromptTemplate("x\n {{ user.name }}", name="t")
    assert template.placeholders == (Placeholder("user.name", "user", ("name",), 2, 2),)
    assert repr(template) == "PromptTemplate(name='t', variables=('user',))"
    assert template.name == "t"
    assert not template.allow_extra


def test_source_must_be_text():
    with pytest.raises(InvalidArgument):
        PromptTemplate(b"bytes")  # type: ignore[arg-type]


@given(st.text())
def test_escape_round_trips_any_text(text):
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    assert PromptTemplate(escape(text)).render() == expected


@given(st.text(alphabet="{} ab.\n\r", max_size=40))
def test_parsing_random_sources_either_works_or_raises_a_syntax_error(source):
    error: TemplateSyntaxError | None = None
    template: PromptTemplate | None = None
    try:
        template = PromptTemplate(source, allow_extra=True)
    except TemplateSyntaxError as caught:
        error = caught
    if template is None:
        assert error is not None
        assert error.line is not None
        assert error.line >= 1
        assert error.column is not None
        assert error.column >= 1
        return
    values = {name: name.upper() for name in template.variables}
    assert template.render(values) == template.render(values)


@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), st.text(), min_size=3))
def test_rendering_is_deterministic(values):
    template = PromptTemplate("{{ a }}-{{ b }}-{{ c }}-{{ a }}")
    first = template.render(values)
    assert first == PromptTemplate("{{ a }}-{{ b }}-{{ c }}-{{ a }}").render(dict(values))
    assert first == f"{values['a']}-{values['b']}-{values['c']}-{values['a']}"

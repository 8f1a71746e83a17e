"""Google-style docstring parsing."""

from hypothesis import given
from hypothesis import strategies as st

from mxp_agents.tools._docstring import parse_docstring


def test_google_style_sections() -> None:
    parsed = parse_docstring(
        """Find files.

        Looks in the workspace only.

        Args:
            pattern (str): A glob pattern,
                such as ``*.py``.
            limit: At most this many.
            **extra: Ignored.

        Returns:
            list[str]: The matching paths,
                sorted.

        Raises:
            ValueError: bad pattern.

        Example:
            >>> find("*.py")
        """
    )
    assert parsed.description == "Find files.\n\nLooks in the workspace only."
    assert parsed.arguments == {
        "pattern": "A glob pattern, such as ``*.py``.",
        "limit": "At most this many.",
        "extra": "Ignored.",
    }
    assert parsed.returns == "list[str]: The matching paths, sorted."


def test_summary_only_and_empty() -> None:
    assert parse_docstring("Just a summary.") == ("Just a summary.", {}, None)
    assert parse_docstring(None) == ("", {}, None)
    assert parse_docstring("   \n  ") == ("", {}, None)


def test_alternative_headers_and_entry_on_the_next_line() -> None:
    parsed = parse_docstring(
        """Summary.

        Parameters:
            query:
                What to look for.
        Return:
            Hits.
        """
    )
    assert parsed.arguments == {"query": "What to look for."}
    assert parsed.returns == "Hits."


def test_unknown_header_like_lines_stay_in_the_description() -> None:
    parsed = parse_docstring("Summary.\n\nUsage:\n    call it.\n")
    assert parsed.description == "Summary.\n\nUsage:\n    call it."
    assert parsed.arguments == {}


@given(st.text())
def test_parser_accepts_any_text(text) -> None:
    parsed = parse_docstring(text)
    assert isinstance(parsed.description, str)
    assert all(isinstance(value, str) for value in parsed.arguments.values())

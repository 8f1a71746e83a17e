"""ToolRegistry: versions side by side, latest by semver, stable listings, errors."""

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mxp_agents.tools import (
    DuplicateToolError,
    ToolDefinitionError,
    ToolRegistry,
    UnknownToolError,
    tool,
)
from mxp_agents.tools._semver import version_key


def make(name: str, version: str = "1.0.0", capabilities: tuple[str, ...] = ()):
    def function(query: str) -> str:
        return f"{name}@{version}: {query}"

    return tool(name=name, version=version, capabilities=capabilities)(function)


def test_register_get_contains_len() -> None:
    search = make("search")
    registry = ToolRegistry()
    assert registry.register(search) is search
    assert registry.get("search") is search
    assert registry.get("search@1.0.0") is search
    assert "search" in registry
    assert "search@1.0.0" in registry
    assert "search@2.0.0" not in registry
    assert 42 not in registry
    assert len(registry) == 1


def test_duplicate_name_and_version_is_refused() -> None:
    registry = ToolRegistry([make("search")])
    with pytest.raises(DuplicateToolError, match=r"tool 'search@1\.0\.0' is already registered"):
        registry.register(make("search"))


def test_versions_side_by_side_and_latest_by_semver() -> None:
    registry = ToolRegistry()
    for version in ["1.2.0", "1.10.0", "1.9.3", "2.0.0-rc.1", "0.9.0"]:
        registry.register(make("search", version))
    assert registry.versions("search") == ["0.9.0", "1.2.0", "1.9.3", "1.10.0", "2.0.0-rc.1"]
    assert registry.get("search").version == "1.10.0"  # a release beats a pre-release
    assert registry.get("search@2.0.0-rc.1").version == "2.0.0-rc.1"
    registry.register(make("search", "2.0.0"))
    assert registry.get("search").version == "2.0.0"


def test_only_pre_releases_gives_the_highest_one() -> None:
    registry = ToolRegistry([make("beta", "1.0.0-alpha"), make("beta", "1.0.0-beta.2")])
    assert registry.get("beta").version == "1.0.0-beta.2"


def test_stable_listing_by_name_then_version() -> None:
    registry = ToolRegistry(
        [make("zeta"), make("alpha", "2.0.0"), make("alpha", "10.0.0"), make("mid", "1.0.0")]
    )
    keys = [t.key for t in registry.list()]
    assert keys == ["alpha@2.0.0", "alpha@10.0.0", "mid@1.0.0", "zeta@1.0.0"]
    assert [t.key for t in registry] == keys
    assert [d.name for d in registry.definitions()] == ["alpha", "mid", "zeta"]
    assert registry.definitions()[0] == registry.get("alpha@10.0.0").definition


def test_definitions_for_granted_capabilities() -> None:
    registry = ToolRegistry(
        [
            make("read", capabilities=("fs.read",)),
            make("write", capabilities=("fs.write",)),
            make("free"),
        ]
    )
    assert [d.name for d in registry.definitions(granted=["fs.read"])] == ["free", "read"]
    assert [d.name for d in registry.definitions(granted=[])] == ["free"]
    assert [d.name for d in registry.definitions()] == ["free", "read", "write"]


def test_unregister_one_version_or_all() -> None:
    registry = ToolRegistry([make("search", "1.0.0"), make("search", "2.0.0"), make("other")])
    registry.unregister("search@2.0.0")
    assert registry.get("search").version == "1.0.0"
    registry.unregister(registry.get("other"))
    assert "other" not in registry
    registry.register(make("search", "3.0.0"))
    registry.unregister("search")
    assert len(registry) == 0
    assert registry.list() == []
    with pytest.raises(UnknownToolError):
        registry.unregister("search")
    with pytest.raises(UnknownToolError):
        registry.unregister("search@1.0.0")


def test_unknown_tool_names_near_matches() -> None:
    registry = ToolRegistry([make("search"), make("summarise"), make("deploy")])
    with pytest.raises(UnknownToolError) as info:
        registry.get("serach")
    assert str(info.value) == "unknown tool 'serach'; did you mean 'search'?"
    assert info.value.suggestions == ("search",)
    with pytest.raises(UnknownToolError, match=r"^unknown tool 'xyz'$"):
        registry.get("xyz")


def test_unknown_version_lists_the_registered_ones() -> None:
    registry = ToolRegistry([make("search", "1.0.0"), make("search", "1.1.0")])
    with pytest.raises(UnknownToolError) as info:
        registry.get("search@1.2.0")
    message = str(info.value)
    assert "tool 'search' has no version '1.2.0' (registered: 1.0.0, 1.1.0)" in message
    assert "did you mean" in message


def test_register_refuses_non_tools() -> None:
    def plain(x: int) -> int:
        return x

    with pytest.raises(ToolDefinitionError, match="decorate the function with @tool"):
        ToolRegistry().register(plain)  # type: ignore[arg-type]


def test_errors_pickle() -> None:
    for error in (DuplicateToolError("a@1.0.0"), UnknownToolError("a", ("b",), None)):
        copy = pickle.loads(pickle.dumps(error))
        assert str(copy) == str(error)


def test_version_key_orders_by_semver_precedence() -> None:
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.1.0",
        "2.0.0",
    ]
    shuffled = ordered[5:] + ordered[:5]
    assert sorted(shuffled, key=version_key) == ordered


@given(
    st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6)),
    st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6)),
)
def test_release_order_is_numeric(a, b) -> None:
    text_a, text_b = ".".join(map(str, a)), ".".join(map(str, b))
    assert (version_key(text_a) < version_key(text_b)) == (a < b)


@given(st.text())
def test_version_key_accepts_or_rejects_cleanly(text) -> None:
    try:
        version_key(text)
    except ValueError as error:
        message = str(error)
    else:
        return
    assert "semantic version" in message

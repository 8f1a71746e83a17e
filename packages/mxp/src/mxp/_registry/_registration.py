"""What an agent registers, and its conversion to and from `RegisterRequest` metadata.

The reference client puts ``version``, ``description`` (when set) and ``tags`` (when not empty,
as a JSON-encoded list in one string) into ``RegisterRequest.metadata``; the registry parses them
back into `AgentRecord` fields.
"""

from __future__ import annotations

from typing import Final

import msgspec

from mxp._registry._errors import RegistryConfigError, RegistryError
from mxp.bodies import RegisterRequest, parse_address

DEFAULT_VERSION: Final = "0.0.0"
"""`AgentRecord.version` of an agent that registered without a ``version`` metadata entry."""
RESERVED_METADATA: Final = frozenset({"version", "description", "tags"})

_tags_decoder: Final = msgspec.json.Decoder(list[str])
_tags_encoder: Final = msgspec.json.Encoder()


class Registration(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One agent as it registers: identity, capabilities and where it is reachable.

    ``address`` is the agent's MXP endpoint as ``"ip:port"`` (``"[ipv6]:port"``); build it
    from an endpoint with ``mxp.bodies.format_address(*endpoint.local_address)``. ``metadata``
    holds extra string entries; ``version``, ``description`` and ``tags`` are fields of their
    own and may not appear in it.

    Example:
        >>> reg = Registration(id="a1", name="echo", capabilities=["demo.echo"],
        ...                    address="127.0.0.1:50052", version="0.1.0", tags=["demo"])
        >>> reg.to_request().metadata
        {'version': '0.1.0', 'tags': '["demo"]'}
    """

    id: str
    name: str
    capabilities: list[str]
    address: str
    version: str = DEFAULT_VERSION
    description: str | None = None
    tags: list[str] = msgspec.field(default_factory=list[str])
    metadata: dict[str, str] = msgspec.field(default_factory=dict[str, str])

    def __post_init__(self) -> None:
        if not self.id:
            raise RegistryConfigError("Registration.id must not be empty: use the agent's id")
        try:
            parse_address(self.address)
        except ValueError as error:
            raise RegistryConfigError(
                f"Registration.address: {error}; build it with "
                "mxp.bodies.format_address(*endpoint.local_address)"
            ) from None
        reserved = sorted(RESERVED_METADATA.intersection(self.metadata))
        if reserved:
            raise RegistryConfigError(
                f"Registration.metadata must not contain {reserved}: set the Registration "
                "fields version, description and tags instead"
            )

    def to_request(self) -> RegisterRequest:
        """The `RegisterRequest` the reference client would send for this registration.

        Example:
            >>> Registration(id="a1", name="n", capabilities=[], address="127.0.0.1:9",
            ...              description="d").to_request().metadata
            {'version': '0.0.0', 'description': 'd'}
        """
        metadata: dict[str, str] = {"version": self.version}
        if self.description is not None:
            metadata["description"] = self.description
        if self.tags:
            metadata["tags"] = _tags_encoder.encode(self.tags).decode()
        metadata.update(self.metadata)
        return RegisterRequest(
            id=self.id,
            name=self.name,
            capabilities=list(self.capabilities),
            address=self.address,
            metadata=metadata,
        )


def parse_metadata(metadata: dict[str, str]) -> tuple[str, str | None, list[str]]:
    """``(version, description, tags)`` from a `RegisterRequest`'s metadata.

    Raises:
        RegistryError: ``tags`` is not a JSON list of strings (code ``invalid_request``).

    Example:
        >>> parse_metadata({"version": "1.2.0", "tags": '["a","b"]'})
        ('1.2.0', None, ['a', 'b'])
    """
    version = metadata.get("version") or DEFAULT_VERSION
    description = metadata.get("description")
    raw_tags = metadata.get("tags")
    tags: list[str] = []
    if raw_tags is not None:
        try:
            tags = _tags_decoder.decode(raw_tags)
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            shown = raw_tags if len(raw_tags) <= 80 else raw_tags[:80] + "..."
            raise RegistryError(
                f"invalid RegisterRequest body: metadata 'tags' must be a JSON list of strings "
                f'in one string, like "[\\"a\\",\\"b\\"]"; got {shown!r} ({error}) '
                "- at `$.metadata.tags`",
                code="invalid_request",
            ) from None
    return version, description, tags

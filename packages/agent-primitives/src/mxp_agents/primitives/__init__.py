"""What every MXP Agents package shares: ids, capabilities, manifests, conversation types,
the error base, the clock and DSN password masking.

Every type is a frozen `msgspec.Struct` (or a `typing.NewType`) whose JSON form matches the
Rust reference runtime's, and whose rules run both on construction and on decoding.

Example:
    >>> from mxp_agents.primitives import AgentManifest, Capability, from_json, to_json
    >>> from mxp_agents.primitives import parse_capability_id, random_agent_id
    >>> manifest = AgentManifest(
    ...     id=random_agent_id(),
    ...     name="reviewer",
    ...     version="1.0.0",
    ...     capabilities=(
    ...         Capability(
    ...             id=parse_capability_id("code.review"),
    ...             name="Code review",
    ...             version="1",
    ...             scopes=("repo:read",),
    ...         ),
    ...     ),
    ... )
    >>> from_json(to_json(manifest), AgentManifest) == manifest
    True
"""

from mxp_agents.primitives._capability import MAX_CAPABILITY_NAME_LEN, MAX_SCOPE_LEN, Capability
from mxp_agents.primitives._checks import kind_of
from mxp_agents.primitives._clock import Clock, SystemClock
from mxp_agents.primitives._dsn import redact_dsn
from mxp_agents.primitives._errors import (
    DecodeError,
    InvalidAgentId,
    InvalidCapability,
    InvalidCapabilityId,
    InvalidManifest,
    InvalidMessage,
    InvalidValue,
    MxpAgentsError,
    PrimitivesError,
)
from mxp_agents.primitives._ids import (
    MAX_CAPABILITY_ID_LEN,
    AgentId,
    CapabilityId,
    parse_agent_id,
    parse_capability_id,
    random_agent_id,
)
from mxp_agents.primitives._installed import installed_file, package_dirs
from mxp_agents.primitives._json import from_json, to_json, validation_error_parts
from mxp_agents.primitives._lazy import lazy_exports
from mxp_agents.primitives._manifest import AgentManifest
from mxp_agents.primitives._message import Message, Role
from mxp_agents.primitives._tool_call import ToolCall
from mxp_agents.primitives._tool_definition import MAX_TOOL_NAME_LEN, ToolDefinition
from mxp_agents.primitives._tool_result import ToolResult
from mxp_agents.primitives._usage import Usage

__version__ = "0.1.0"

__all__ = [
    "MAX_CAPABILITY_ID_LEN",
    "MAX_CAPABILITY_NAME_LEN",
    "MAX_SCOPE_LEN",
    "MAX_TOOL_NAME_LEN",
    "AgentId",
    "AgentManifest",
    "Capability",
    "CapabilityId",
    "Clock",
    "DecodeError",
    "InvalidAgentId",
    "InvalidCapability",
    "InvalidCapabilityId",
    "InvalidManifest",
    "InvalidMessage",
    "InvalidValue",
    "Message",
    "MxpAgentsError",
    "PrimitivesError",
    "Role",
    "SystemClock",
    "ToolCall",
    "ToolDefinition",
    "ToolResult",
    "Usage",
    "from_json",
    "kind_of",
    "parse_agent_id",
    "parse_capability_id",
    "random_agent_id",
    "installed_file",
    "lazy_exports",
    "package_dirs",
    "redact_dsn",
    "to_json",
    "validation_error_parts",
]

"""Errors of the registry and its client."""

from __future__ import annotations

from mxp._errors import MxpError


class RegistryError(MxpError):
    """A registry operation failed; ``code`` is the registry's machine-readable error code.

    Raised by the client with the registry's own message (an Error frame's ``error``) and by
    the store when it rejects a request. Codes used: ``invalid_request``, ``registry_full``,
    ``not_found``, ``unsupported``, ``rejected``, ``timeout``, ``transport``, ``protocol``.

    Example:
        >>> error = RegistryError("registry full: 2 agents (max_agents=2)", code="registry_full")
        >>> error.code, str(error)
        ('registry_full', 'registry full: 2 agents (max_agents=2)')
    """

    def __init__(self, message: str, *, code: str = "rejected") -> None:
        self.code = code
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), self.code))


def _rebuild(cls: type[RegistryError], message: str, code: str) -> RegistryError:
    return cls(message, code=code)


class RegistrationRequired(RegistryError):
    """The registry does not know the agent (it restarted or evicted it): register again.

    Example:
        >>> RegistrationRequired("agent 'a1' is not registered", code="not_found").code
        'not_found'
    """


class RegistryConfigError(RegistryError, ValueError):
    """A registry or client configuration value is out of range; the message names the field.

    Example:
        >>> from mxp.registry import RegistryConfig
        >>> RegistryConfig(heartbeat_interval=0)
        Traceback (most recent call last):
        ...
        mxp._registry._errors.RegistryConfigError: RegistryConfig.heartbeat_interval must be a \
number > 0 (seconds), got 0
    """

    def __init__(self, message: str, *, code: str = "invalid_config") -> None:
        super().__init__(message, code=code)

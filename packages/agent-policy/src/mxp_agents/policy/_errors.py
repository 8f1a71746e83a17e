"""The errors of ``mxp_agents.policy``."""

from mxp_agents.primitives import InvalidValue, MxpAgentsError

__all__ = ["ApprovalError", "AuditError", "InvalidPolicy", "PolicyError", "PolicyLoadError"]


class PolicyError(MxpAgentsError):
    """Base class of the errors raised by ``mxp_agents.policy``.

    Example:
        >>> issubclass(InvalidPolicy, PolicyError)
        True
    """


class InvalidPolicy(PolicyError, InvalidValue):
    """A request, decision, rule or option that breaks a rule; names it and the path.

    Example:
        >>> str(InvalidPolicy("reason must not be blank", "$.reason"))
        'reason must not be blank - at $.reason'
    """


class PolicyLoadError(PolicyError):
    """A policy source (a TOML rules file, a Rego bundle) that cannot be loaded: says which
    file, which rule and which field.

    Example:
        >>> str(PolicyLoadError("policy.toml: rule 'big-payments': unknown field 'amout'"))
        "policy.toml: rule 'big-payments': unknown field 'amout'"
    """


class ApprovalError(PolicyError):
    """An approval that cannot be stored, found or decided (unknown id, wrong fingerprint,
    already decided, expired).

    Example:
        >>> issubclass(ApprovalError, PolicyError)
        True
    """


class AuditError(PolicyError):
    """An audit log that cannot be written or read, or whose hash chain is broken.

    Example:
        >>> issubclass(AuditError, PolicyError)
        True
    """

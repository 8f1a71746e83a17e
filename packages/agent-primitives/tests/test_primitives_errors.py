import pickle

import pytest

from mxp_agents.primitives import (
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

ERRORS = [
    InvalidValue,
    InvalidAgentId,
    InvalidCapabilityId,
    InvalidCapability,
    InvalidManifest,
    InvalidMessage,
    DecodeError,
]


@pytest.mark.parametrize("error", ERRORS)
def test_every_error_is_an_sdk_error_and_a_value_error(error):
    assert issubclass(error, PrimitivesError)
    assert issubclass(error, MxpAgentsError)
    assert issubclass(error, ValueError)


def test_message_has_reason_and_path():
    error = InvalidCapability("scope cannot be empty", "$.scopes[1]")
    assert str(error) == "scope cannot be empty - at $.scopes[1]"
    assert (error.reason, error.path) == ("scope cannot be empty", "$.scopes[1]")
    assert str(InvalidAgentId("bad")) == "bad"


def test_at_moves_the_path_under_a_prefix():
    error = InvalidCapability("scope cannot be empty", "$.scopes[1]")
    moved = error.at("$.capabilities[0]")
    assert type(moved) is InvalidCapability
    assert str(moved) == "scope cannot be empty - at $.capabilities[0].scopes[1]"
    assert str(InvalidAgentId("bad").at("$.id")) == "bad - at $.id"


@pytest.mark.parametrize("error", ERRORS)
def test_errors_pickle(error):
    original = error("reason", "$.a")
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is error
    assert (copy.reason, copy.path, str(copy)) == ("reason", "$.a", "reason - at $.a")


def test_mxp_agents_error_is_a_plain_exception_base():
    assert issubclass(MxpAgentsError, Exception)
    assert not issubclass(MxpAgentsError, ValueError)

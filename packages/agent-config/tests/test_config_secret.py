import copy
import hmac
import logging
import pickle
import traceback

import msgspec
import pytest

from mxp_agents.config import (
    MASK,
    ConfigError,
    Secret,
    SecretError,
    config_dec_hook,
    config_enc_hook,
    dump_config,
    explain_config,
    load_config,
)

VALUE = "sk-live-0123456789abcdef"


class Provider(msgspec.Struct, frozen=True):
    api_key: Secret | None = None
    keys: list[Secret] = []
    retries: int = 3


class Strict(msgspec.Struct, frozen=True):
    token: Secret = Secret("default-token-value")

    def __post_init__(self) -> None:
        if self.token.reveal().startswith("sk-"):
            raise ValueError(f"token {self.token.reveal()} looks like an API key")


class App(msgspec.Struct, frozen=True):
    provider: Provider = Provider()
    strict: Strict = Strict()


def test_reveal_and_get_secret_value_give_the_value():
    secret = Secret(VALUE)
    assert secret.reveal() == VALUE
    assert secret.get_secret_value() == VALUE


def test_repr_str_and_format_show_only_the_mask():
    secret = Secret(VALUE)
    assert repr(secret) == "Secret('**********')"
    assert str(secret) == MASK == "**********"
    assert f"{secret}" == MASK
    assert f"{secret!r}" == "Secret('**********')"
    assert f"{secret:>12}" == "  **********"
    assert "%s %r" % (secret, secret) == f"{MASK} Secret('**********')"  # noqa: UP031
    assert "{}".format(secret) == MASK  # noqa: UP032
    assert VALUE not in repr([secret, {"k": secret}])


def test_exception_text_and_traceback_do_not_leak():
    secret = Secret(VALUE)
    try:
        raise RuntimeError(f"call failed with key {secret}", secret)
    except RuntimeError as error:
        text = "".join(traceback.format_exception(error))
    assert VALUE not in text
    assert MASK in text


def test_logging_does_not_leak(caplog):
    secret = Secret(VALUE)
    config = load_config(App, env={"MXP_AGENTS_PROVIDER__API_KEY": VALUE})
    logger = logging.getLogger("mxp.test")
    with caplog.at_level(logging.DEBUG, logger="mxp.test"):
        logger.info("key=%s", secret)
        logger.info("key=%r", secret)
        logger.info("config=%s", config)
        logger.info(secret)
        logger.warning("struct %r", config.provider)
        try:
            raise ValueError(secret)
        except ValueError:
            logger.exception("failed")
    assert caplog.records
    assert VALUE not in caplog.text
    assert MASK in caplog.text


def test_msgspec_refuses_to_encode_a_secret_without_the_hook():
    with pytest.raises(TypeError) as caught:
        msgspec.json.encode({"key": Secret(VALUE)})
    assert VALUE not in str(caught.value)
    with pytest.raises(TypeError):
        msgspec.to_builtins(Provider(api_key=Secret(VALUE)))


def test_encode_hook_and_dump_config_write_the_mask():
    provider = Provider(api_key=Secret(VALUE), keys=[Secret("another-secret")])
    encoded = msgspec.json.encode(provider, enc_hook=config_enc_hook)
    assert encoded == b'{"api_key":"**********","keys":["**********"],"retries":3}'
    assert dump_config(App(provider=provider)) == {
        "provider": {"api_key": MASK, "keys": [MASK], "retries": 3},
        "strict": {"token": MASK},
    }


def test_explain_render_masks_secrets():
    explained = explain_config(App, env={"MXP_AGENTS_PROVIDER__API_KEY": VALUE})
    rendered = explained.render()
    assert VALUE not in rendered
    assert 'provider.api_key = "**********"  # env MXP_AGENTS_PROVIDER__API_KEY' in rendered
    assert VALUE not in repr(explained)


def test_pickling_is_refused_and_names_the_reason():
    secret = Secret(VALUE)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(SecretError, match="cannot be pickled") as caught:
            pickle.dumps(secret, protocol=protocol)
        assert VALUE not in str(caught.value)
    with pytest.raises(SecretError) as caught:
        pickle.dumps(Provider(api_key=secret))
    assert isinstance(caught.value, TypeError)


def test_copies_are_the_same_immutable_object():
    secret = Secret(VALUE)
    assert copy.copy(secret) is secret
    assert copy.deepcopy(secret) is secret
    assert copy.deepcopy(Provider(api_key=secret)).api_key is secret


def test_secrets_are_immutable_and_have_no_instance_dict():
    secret = Secret(VALUE)
    with pytest.raises(AttributeError):
        secret.value = "x"  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        del secret._Secret__value  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        vars(secret)


def test_equality_uses_constant_time_comparison(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((type(a), type(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert Secret(VALUE) == Secret(VALUE)
    assert Secret(VALUE) != Secret(VALUE + "x")
    assert calls == [(bytes, bytes), (bytes, bytes)]
    assert Secret(VALUE) != VALUE
    assert hash(Secret(VALUE)) == hash(Secret(VALUE))
    assert Secret("ünïcode-sécret") == Secret("ünïcode-sécret")
    undecodable = b"key-\xff".decode("utf-8", "surrogateescape")  # as os.environ gives it
    assert Secret(undecodable) == Secret(undecodable)
    assert Secret(undecodable) != Secret("key-")


def test_only_text_can_be_a_secret():
    with pytest.raises(SecretError, match="a Secret holds a str, got int"):
        Secret(1234)  # type: ignore[arg-type]


def test_decode_hook_reads_secrets_from_text():
    decoded = msgspec.json.decode(
        b'{"api_key": "' + VALUE.encode() + b'"}', type=Provider, dec_hook=config_dec_hook
    )
    assert decoded.api_key == Secret(VALUE)
    assert msgspec.convert(Secret(VALUE), Secret, dec_hook=config_dec_hook) == Secret(VALUE)
    with pytest.raises(msgspec.ValidationError, match=r"expected str, got int - at `\$.api_key`"):
        msgspec.json.decode(b'{"api_key": 5}', type=Provider, dec_hook=config_dec_hook)


def test_loader_reads_secrets_from_every_layer(tmp_path):
    file = tmp_path / "agent.toml"
    file.write_text(f'[provider]\napi_key = "{VALUE}"\nkeys = ["file-secret-1"]\n')
    assert load_config(App, file=file, env={}).provider.api_key == Secret(VALUE)
    env = {"MXP_AGENTS_PROVIDER__KEYS": '["env-secret-1", "env-secret-2"]'}
    assert load_config(App, file=file, env=env).provider.keys == [
        Secret("env-secret-1"),
        Secret("env-secret-2"),
    ]
    overrides = {"provider.api_key": Secret("override-secret")}
    assert load_config(App, env={}, overrides=overrides).provider.api_key == Secret(
        "override-secret"
    )
    assert load_config(
        App, env={}, overrides={"provider.api_key": "plain-text-secret"}
    ).provider.api_key == Secret("plain-text-secret")


def _error_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error) + str(error.args)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"env": {"MXP_AGENTS_STRICT__TOKEN": VALUE}},
            "token ********** looks like an API key - at $.strict "
            "(from env MXP_AGENTS_STRICT__TOKEN)",
        ),
        (
            {"env": {"MXP_AGENTS_PROVIDER__KEYS": f'["{VALUE}", 7]'}},
            "expected str, got int - at $.provider.keys[1] (from env MXP_AGENTS_PROVIDER__KEYS)",
        ),
        (
            {"env": {"MXP_AGENTS_PROVIDER__KEYS": f'["{VALUE}"'}},
            "(from env MXP_AGENTS_PROVIDER__KEYS)",
        ),
        (
            {"env": {}, "overrides": {"provider": {"api_key": [VALUE]}}},
            "expected str, got array - at $.provider.api_key (from overrides)",
        ),
        (
            {"env": {"MXP_AGENTS_PROVIDER__API_KEY": VALUE, "MXP_AGENTS_PROVIDER__RETRIES": VALUE}},
            "expected int, got str - at $.provider.retries (from env MXP_AGENTS_PROVIDER__RETRIES)",
        ),
        (
            {"env": {"MXP_AGENTS_PROVIDER__API_KYE": VALUE}},
            "unknown key 'api_kye' - at $.provider.api_kye (from env MXP_AGENTS_PROVIDER__API_KYE)",
        ),
    ],
)
def test_config_errors_never_show_a_secret(kwargs, message):
    with pytest.raises(ConfigError) as caught:
        load_config(App, **kwargs)
    assert message in str(caught.value)
    assert VALUE not in _error_text(caught.value)


def test_bad_secret_in_a_file_is_not_echoed(tmp_path):
    file = tmp_path / "agent.toml"
    file.write_text(f'[strict]\ntoken = "{VALUE}"\n[provider]\napi_key = 42\n')
    with pytest.raises(ConfigError) as caught:
        load_config(App, file=file, env={})
    assert str(caught.value) == (
        f"expected str, got int - at $.provider.api_key (from file {file}, line 4)"
    )
    file.write_text(f'[strict]\ntoken = "{VALUE}"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(App, file=file, env={})
    assert VALUE not in _error_text(caught.value)
    assert str(caught.value) == (
        f"token ********** looks like an API key - at $.strict (from file {file}, line 2)"
    )

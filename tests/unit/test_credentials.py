"""Credentials: the sources in order, and never shown whole."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from vpndiag import credentials
from vpndiag.credentials import Credentials
from vpndiag.errors import ConfigError

SECRET = "s3cr3t-VALUE-never-shown"
TOKEN = "STS.token-never-shown"


def test_fc2_context_shape() -> None:
    """FC 2.0 and python3.10 put the role's STS keys on context.credentials."""
    context = SimpleNamespace(
        credentials=SimpleNamespace(
            access_key_id="STS.id", access_key_secret=SECRET, security_token=TOKEN
        )
    )
    found = credentials.resolve(explicit=None, context=context, environ={})
    assert (found.access_key_id, found.security_token) == ("STS.id", TOKEN)


def test_python312_environment_shape() -> None:
    """python3.12 has no context credentials: the ALIBABA_CLOUD_* variables are read."""
    environ = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "id",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
        "ALIBABA_CLOUD_SECURITY_TOKEN": TOKEN,
    }
    context = SimpleNamespace(credentials=None)
    found = credentials.resolve(explicit=None, context=context, environ=environ)
    assert found == Credentials("id", SECRET, TOKEN)


def test_empty_context_credentials_fall_through() -> None:
    """A context without a role has empty keys; the environment is used instead."""
    context = SimpleNamespace(
        credentials=SimpleNamespace(access_key_id="", access_key_secret="", security_token="")
    )
    environ = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET}
    assert (
        credentials.resolve(explicit=None, context=context, environ=environ).access_key_id == "id"
    )


def test_explicit_configuration_wins() -> None:
    """Explicit credentials are used before the context and the environment."""
    explicit = Credentials("explicit", SECRET)
    environ = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET}
    assert credentials.resolve(explicit=explicit, context=None, environ=environ) is explicit


def test_missing_credentials_name_where_they_were_looked_for() -> None:
    """No source: a ConfigError that names the environment variable."""
    with pytest.raises(ConfigError, match="ALIBABA_CLOUD_ACCESS_KEY_ID"):
        credentials.resolve(explicit=None, context=None, environ={})


def test_half_set_environment_names_the_missing_variable() -> None:
    """An id without its secret is a configuration error, not a silent fallthrough."""
    with pytest.raises(ConfigError) as caught:
        credentials.from_environment({"ALIBABA_CLOUD_ACCESS_KEY_ID": "id"})
    assert caught.value.setting == "ALIBABA_CLOUD_ACCESS_KEY_SECRET"


def test_repr_and_str_hide_secret_and_token() -> None:
    """Printing credentials, as a log line or an error might, shows neither secret nor token."""
    creds = Credentials("LTAIexample", SECRET, TOKEN)
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert SECRET not in text
        assert TOKEN not in text
        assert "LTAIexample" not in text

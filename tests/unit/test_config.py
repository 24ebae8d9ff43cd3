"""Configuration is one validated model; every problem names its variable."""

from __future__ import annotations

import pytest

from vpndiag import config
from vpndiag.errors import ConfigError


def test_defaults_are_the_embedded_local_stores() -> None:
    """With no variables set, archives go to files and records to SQLite."""
    settings = config.load({})
    assert settings.object_store.startswith("file:")
    assert settings.log_store.startswith("sqlite:")
    assert settings.signature == "v3"


def test_variables_set_fields() -> None:
    """VPNDIAG_<FIELD> sets the field, with type conversion."""
    settings = config.load({"VPNDIAG_SIGNATURE": "v1", "VPNDIAG_MAX_ATTEMPTS": "2"})
    assert (settings.signature, settings.max_attempts) == ("v1", 2)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"VPNDIAG_SIGNATURE": "v2"}, "VPNDIAG_SIGNATURE"),
        ({"VPNDIAG_MAX_ATTEMPTS": "many"}, "VPNDIAG_MAX_ATTEMPTS"),
        ({"VPNDIAG_POLL_INTERVAL": "-1"}, "VPNDIAG_POLL_INTERVAL"),
        ({"VPNDIAG_OBJECT_STORE": "s3://bucket"}, "VPNDIAG_OBJECT_STORE"),
        ({"VPNDIAG_SIGNATUR": "v3"}, "VPNDIAG_SIGNATUR"),
    ],
)
def test_invalid_settings_name_the_variable(environ: dict[str, str], named: str) -> None:
    """A wrong value or an unknown (misspelt) variable raises ConfigError naming it."""
    with pytest.raises(ConfigError) as caught:
        config.load(environ)
    assert caught.value.setting == named


@pytest.mark.parametrize(
    "url",
    [
        "http://vpc.cn-hangzhou.aliyuncs.com",
        "ftp://127.0.0.1",
        "https://user@x.com",
        "https://x.com/?a=1",
    ],
)
def test_endpoints_must_be_https_unless_loopback(url: str) -> None:
    """Plain http to a remote host, other schemes, user info and queries are refused."""
    with pytest.raises(ConfigError) as caught:
        config.load({"VPNDIAG_VPC_ENDPOINT": url})
    assert caught.value.setting == "VPNDIAG_VPC_ENDPOINT"


def test_loopback_endpoints_and_proxies_may_be_plain_http() -> None:
    """The emulator on loopback, directly or as a proxy under real host names, is allowed."""
    assert config.load({"VPNDIAG_VPC_ENDPOINT": "http://127.0.0.1:9000"}).vpc_endpoint
    settings = config.load(
        {
            "VPNDIAG_VPC_ENDPOINT": "http://vpc.{region}.aliyuncs.com",
            "VPNDIAG_HTTP_PROXY": "http://127.0.0.1:9000",
        }
    )
    assert settings.http_proxy == "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    ("host", "direct"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("[::1]", True),
        ("10.1.2.3", True),
        ("oss.example", False),
    ],
)
def test_an_address_cannot_carry_a_virtual_host(host: str, direct: bool) -> None:
    """IP literals and localhost are addressed directly (path style, Host header); names are not."""
    from vpndiag.clients.endpoints import is_address

    assert is_address(host) is direct


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("https://{bucket}.example/{region}", "https://b.example/cn-hangzhou"),
        ("https://oss-{region}.example/", "https://b.oss-cn-hangzhou.example"),
    ],
)
def test_an_override_names_its_bucket_by_placeholder_or_prefix(
    override: str, expected: str
) -> None:
    """The placeholder is filled in; without one, the name goes in front of the host."""
    from vpndiag.clients.endpoints import virtual_hosted

    assert virtual_hosted(override, "cn-hangzhou", "{bucket}", "b") == expected

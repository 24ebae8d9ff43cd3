"""The sweep's VPNDIAG_SWEEP_* settings: lists, tag filters, exclusions, and what they leave."""

from __future__ import annotations

import pytest

from vpndiag.errors import ConfigError
from vpndiag.sweep.settings import MAX_TAGS, load

REGIONS = {"VPNDIAG_SWEEP_REGIONS": "cn-hangzhou, cn-shanghai"}


def test_regions_are_a_comma_separated_list() -> None:
    """Spaces around items are ignored; duplicates collapse, order is kept."""
    settings, _ = load({"VPNDIAG_SWEEP_REGIONS": "cn-hangzhou, cn-shanghai,cn-hangzhou"})

    assert settings.regions == ("cn-hangzhou", "cn-shanghai")


def test_regions_are_required() -> None:
    """A sweep with no region to sweep is a configuration error naming the variable."""
    with pytest.raises(ConfigError, match="VPNDIAG_SWEEP_REGIONS"):
        load({})


def test_a_malformed_region_is_refused() -> None:
    """Regions reach URLs: they are checked like every identifier."""
    with pytest.raises(ConfigError, match="invalid region"):
        load({"VPNDIAG_SWEEP_REGIONS": "cn-hangzhou/../x"})


def test_tags_take_values_or_bare_keys() -> None:
    """``env=prod,team``: env must be prod, team may be anything."""
    settings, _ = load({**REGIONS, "VPNDIAG_SWEEP_TAGS": "env=prod, team"})

    assert settings.tags == (("env", "prod"), ("team", None))


def test_tags_are_bounded_by_the_api() -> None:
    """DescribeVpnGateways takes at most 20 tag filters."""
    tags = ",".join(f"k{n}" for n in range(MAX_TAGS + 1))

    with pytest.raises(ConfigError, match="VPNDIAG_SWEEP_TAGS"):
        load({**REGIONS, "VPNDIAG_SWEEP_TAGS": tags})


def test_gateway_ids_and_tags_exclude_each_other() -> None:
    """Naming both would leave it unclear which one narrows the sweep."""
    with pytest.raises(ConfigError, match="not both"):
        load({**REGIONS, "VPNDIAG_SWEEP_TAGS": "env", "VPNDIAG_SWEEP_GATEWAY_IDS": "vpn-abcd1234"})


def test_unknown_sweep_variable_is_refused() -> None:
    """A typo in a VPNDIAG_SWEEP_* name is an error, not a silently ignored setting."""
    with pytest.raises(ConfigError, match="VPNDIAG_SWEEP_REGION: is not a setting"):
        load({"VPNDIAG_SWEEP_REGION": "cn-hangzhou"})


def test_shared_settings_are_left_for_the_shared_loader() -> None:
    """The rest of the environment comes back without the sweep's own variables."""
    _, rest = load({**REGIONS, "VPNDIAG_LOG_LEVEL": "DEBUG", "PATH": "/bin"})

    assert rest == {"VPNDIAG_LOG_LEVEL": "DEBUG", "PATH": "/bin"}


def test_fc_endpoint_must_be_https_off_loopback() -> None:
    """A signed FC request never goes out in clear text, except to a local emulator."""
    with pytest.raises(ConfigError, match="VPNDIAG_SWEEP_FC_ENDPOINT"):
        load({**REGIONS, "VPNDIAG_SWEEP_FC_ENDPOINT": "http://fc.example.com"})


def test_fc_endpoint_on_loopback_may_be_http() -> None:
    """The emulator's loopback address is accepted as is."""
    settings, _ = load({**REGIONS, "VPNDIAG_SWEEP_FC_ENDPOINT": "http://127.0.0.1:8080/"})

    assert settings.fc_endpoint == "http://127.0.0.1:8080"


def test_archive_function_name_is_checked() -> None:
    """FC names go into a request path: only FC's own name pattern is accepted."""
    with pytest.raises(ConfigError, match="VPNDIAG_SWEEP_ARCHIVE_FUNCTION"):
        load({**REGIONS, "VPNDIAG_SWEEP_ARCHIVE_FUNCTION": "../archive"})


def test_concurrency_defaults_to_sixteen() -> None:
    """Bounded concurrency by default; the pool and the gateway workers share the bound."""
    settings, _ = load(REGIONS)

    assert (settings.concurrency, settings.mode, settings.handoff) == (16, "diagnose", "pool")

"""Thresholds beyond the service's levels, and recommended actions for every finding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vpndiag.errors import ConfigError
from vpndiag.health import actions
from vpndiag.health.thresholds import Thresholds, assess
from vpndiag.model.response import DiagnoseItem, DiagnoseResult
from vpndiag.model.summary import CheckSummary
from vpndiag.normalize import normalize


def _check(name: str, level: str, description: dict[str, object]) -> CheckSummary:
    result = DiagnoseResult.model_validate(
        {
            "DiagnoseId": "vpndgn-abcd1234",
            "VpnGatewayId": "vpn-abcd1234",
            "DiagnoseResult": [
                DiagnoseItem.model_validate(
                    {
                        "DiagnoseName": name,
                        "DiagnoseResultLevel": level,
                        "DiagnoseResultDescription": json.dumps(description),
                    }
                ).model_dump(by_alias=True)
            ],
        }
    )
    return normalize(result, region="cn-hangzhou").checks[0]


def test_quota_past_the_threshold_raises_normal_to_warning_and_says_so() -> None:
    """85% used with an 80% threshold: warning, marked as ours, not the service's."""
    check = _check("VpnIPsecQuota", "normal", {"quotaName": "ipsec", "quantity": 20, "used": 17})
    finding = assess(check, Thresholds(quota_percent=80))
    assert (finding.level, finding.service_level, finding.threshold) == (
        "warning",
        "normal",
        "quota",
    )
    assert finding.note == "the service said normal; 85% used, threshold 80%"


def test_below_every_threshold_stays_normal() -> None:
    """A healthy probe under the rtt and loss thresholds is left alone."""
    check = _check(
        "VcoUserInternetIpConnectivity",
        "normal",
        {"targetIp": "203.0.113.7", "rtt": 20, "lossRate": 0},
    )
    assert assess(check, Thresholds()).level == "normal"


@pytest.mark.parametrize(
    ("probe", "kind"), [({"rtt": 300, "lossRate": 0}, "rtt"), ({"rtt": 20, "lossRate": 12}, "loss")]
)
def test_rtt_and_loss_thresholds(probe: dict[str, object], kind: str) -> None:
    """Slow or lossy but reachable paths are raised to warning by their own threshold."""
    check = _check("VcoPrivateConnectivity", "normal", {"targetIp": "10.0.0.1", **probe})
    finding = assess(check, Thresholds(rtt_ms=150, loss_percent=5))
    assert (finding.level, finding.threshold) == ("warning", kind)


def test_thresholds_never_lower_the_service_level() -> None:
    """An error stays an error whatever the figures say."""
    check = _check("VpnIPsecQuota", "error", {"quotaName": "ipsec", "quantity": 20, "used": 1})
    assert assess(check, Thresholds()).level == "error"


def test_disabled_threshold_is_ignored() -> None:
    """None switches a threshold off."""
    check = _check("VpnIPsecQuota", "normal", {"quotaName": "ipsec", "quantity": 10, "used": 10})
    assert assess(check, Thresholds(quota_percent=None)).level == "normal"


def test_every_documented_check_has_an_action_at_warning_and_error() -> None:
    """The built-in table covers all seven checks at both bad levels, in both languages."""
    table = actions.load()
    for name in (
        "RouteEntryConflict",
        "VpnRouteQuota",
        "VpnIPsecQuota",
        "VpnPbrRouteQuota",
        "VcoConfigConsistency",
        "VcoUserInternetIpConnectivity",
        "VcoPrivateConnectivity",
    ):
        for level in ("warning", "error"):
            action = table.for_check(name, level)
            assert action is not None
            assert action.key == f"checks.{name}.{level}"
            assert action.en
            assert action.zh
            assert action.doc_en.startswith("https://")
            assert action.doc_zh.startswith("https://")


def test_every_documented_negotiation_code_has_an_action() -> None:
    """The failure codes DiagnoseVpnConnections documents each have their own entry."""
    table = actions.load()
    for code in (
        "Phase1NegotiationTimeout",
        "PeerMismatch",
        "AlgorithmMismatch",
        "EncryptionAlgorithmMismatch",
        "AuthenticationAlgorithmMismatch",
        "DhGroupMismatch",
    ):
        assert table.for_negotiation(code).key == f"negotiation.{code}"


def test_unknown_findings_get_the_generic_action_never_nothing() -> None:
    """An unknown check, level or failure code still comes with advice."""
    table = actions.load()
    assert table.for_check("SomeNewCheck", "error").key == "generic"  # type: ignore[union-attr]
    assert table.for_check("VpnIPsecQuota", "critical").key == "generic"  # type: ignore[union-attr]
    assert table.for_negotiation("BrandNewCode").key == "generic"


def test_normal_needs_no_action() -> None:
    """A normal check has nothing to do."""
    assert actions.load().for_check("VpnIPsecQuota", "normal") is None


def test_a_user_file_extends_and_overrides_the_table(tmp_path: Path) -> None:
    """Entries in VPNDIAG_ACTIONS_FILE win; the rest of the built-in table stays."""
    extra = tmp_path / "actions.json"
    extra.write_text(
        json.dumps(
            {
                "negotiation": {
                    "DhGroupMismatch": {
                        "en": "Call the network team.",
                        "zh": "联系网络组。",
                        "doc": "https://wiki.example/vpn",
                    }
                },
                "checks": {
                    "OurCheck": {
                        "error": {"en": "Restart it.", "zh": "重启。", "doc": "troubleshoot"}
                    }
                },
            }
        )
    )
    table = actions.load(str(extra))
    assert table.for_negotiation("DhGroupMismatch").en == "Call the network team."
    assert table.for_negotiation("DhGroupMismatch").doc_en == "https://wiki.example/vpn"
    assert table.for_check("OurCheck", "error").doc_en.startswith("https://www.alibabacloud.com")  # type: ignore[union-attr]
    assert table.for_negotiation("PeerMismatch").key == "negotiation.PeerMismatch"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('{"negotiation": {"X": {"en": "only english"}}}', "negotiation.X"),
    ],
)
def test_a_broken_user_file_names_the_setting_and_the_place(
    tmp_path: Path, content: str, problem: str
) -> None:
    """A wrong file fails with the setting's name and where in the file the problem is."""
    extra = tmp_path / "bad.json"
    extra.write_text(content)
    with pytest.raises(ConfigError, match=problem) as caught:
        actions.load(str(extra))
    assert caught.value.setting == "VPNDIAG_ACTIONS_FILE"


def test_a_down_tunnel_has_its_own_action_and_an_up_one_none() -> None:
    """tunnels.down and tunnels.unknown are in the built-in table (with the vendor's IPsec
    error-code page, help.aliyun.com/document_detail/477862, as their guide); up needs nothing."""
    table = actions.load()
    down, unknown = table.for_tunnel("down"), table.for_tunnel("unknown")
    assert down is not None
    assert unknown is not None
    assert (down.key, unknown.key, table.for_tunnel("up")) == (
        "tunnels.down",
        "tunnels.unknown",
        None,
    )
    assert "477862" in down.doc_en


def test_a_users_file_overrides_the_tunnel_actions(tmp_path: Path) -> None:
    """VPNDIAG_ACTIONS_FILE may replace tunnels.<level> like any other entry."""
    mine = tmp_path / "actions.json"
    text = {"en": "page the network team", "zh": "通知网络组", "doc": "https://example.com/runbook"}
    mine.write_text(json.dumps({"tunnels": {"down": text}}), encoding="utf-8")
    action = actions.load(str(mine)).for_tunnel("down")
    assert action is not None
    assert (action.en, action.doc_en) == ("page the network team", "https://example.com/runbook")

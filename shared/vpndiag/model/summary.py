"""The archived diagnosis summary: one plain, versioned JSON document per diagnosis.

Level ranking: ``normal < warning < degraded < <any unknown level> < error``. An unknown level is
kept verbatim and ranked above ``warning`` so that a level the service adds later can never hide
behind ``normal``; it stays below ``error`` because ``error`` is the one level documented as a
failure. ``degraded`` is not a level the service reports: it is vpndiag's connection state for a
dual-tunnel connection with one tunnel down and the other up (docs/health.md). It ranks above
``warning`` (a component has failed and the connection has lost its redundancy, where a warning is
a finding such as a quota near its limit) and below an unknown level and ``error`` (traffic still
flows; a level nobody understands must not be taken for "still flowing").

A summary's ``level`` is the worst level among the checks the service has reported. With no checks
it is ``normal`` (nothing bad was reported); whether that covers the whole diagnosis is what
``complete``, ``finished_count`` and ``total_count`` say, and consumers must read them before
treating ``level`` as final.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from vpndiag.model.checks import Detail

SCHEMA_VERSION: Final = "1.0"

DEGRADED: Final = "degraded"
LEVEL_ORDER: Final[Mapping[str, int]] = MappingProxyType(
    {"normal": 0, "warning": 1, DEGRADED: 2, "error": 4}
)
UNKNOWN_LEVEL_RANK: Final = 3
# The levels the service documents for a check (DiagnoseResultLevel); ``degraded`` is vpndiag's.
KNOWN_LEVELS: Final = frozenset({"normal", "warning", "error"})


def level_rank(level: str) -> int:
    """Rank of ``level`` in ``LEVEL_ORDER``; any other level ranks between warning and error."""
    return LEVEL_ORDER.get(level, UNKNOWN_LEVEL_RANK)


def _level_key(level: str) -> tuple[int, str]:
    # Ties happen only between distinct unknown levels; the text breaks them so the result does not
    # depend on item order.
    return level_rank(level), level


def worst_level(levels: Iterable[str]) -> str:
    """Return the worst of ``levels``; ``normal`` when there are none."""
    return max(levels, key=_level_key, default="normal")


class CheckSummary(BaseModel):
    """One diagnosis item, typed and explained, with everything the service sent kept."""

    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True)

    name: str = Field(description="DiagnoseName, verbatim.")
    level: str = Field(description="DiagnoseResultLevel, verbatim.")
    known_name: bool = Field(description="Whether the name is one of the documented checks.")
    known_level: bool = Field(description="Whether the level is normal, warning or error.")
    detail: Detail
    sentence: str = Field(description="The check's result in one plain sentence.")
    raw_description: str = Field(description="DiagnoseResultDescription, verbatim.")
    parse_note: str | None = Field(description="Why the description was read leniently, if so.")
    extra: dict[str, JsonValue] = Field(description="Item fields the API does not document.")


class DiagnosisSummary(BaseModel):
    """A GetVpnGatewayDiagnoseResult response, normalised for archiving and querying."""

    model_config = ConfigDict(
        frozen=True, title="DiagnosisSummary", json_schema_serialization_defaults_required=True
    )

    schema_version: str = Field(SCHEMA_VERSION, description="Version of this document's layout.")
    diagnose_id: str
    gateway_id: str
    region: str
    account_id: str | None
    resource_type: str | None = Field(description="ResourceType, verbatim (documented: IPsec).")
    resource_id: str | None = Field(description="ResourceInstanceId: the diagnosed connection.")
    request_id: str | None = Field(description="RequestId of the response summarised.")
    begin_time: AwareDatetime | None
    finish_time: AwareDatetime | None
    duration_seconds: float | None = Field(
        description="finish_time - begin_time; null when either is missing or the span is negative."
    )
    finished_count: int
    total_count: int
    complete: bool = Field(description="All checks finished and a finish time is set.")
    level: str = Field(description="Worst level among the reported checks; normal when none.")
    level_counts: dict[str, int] = Field(
        description="Checks per level; normal, warning and error are always present."
    )
    checks: list[CheckSummary]
    extra: dict[str, JsonValue] = Field(description="Response fields the API does not document.")
    # Not in GetVpnGatewayDiagnoseResult: from DescribeVpnConnections, taken once at archive time.
    # Optional so that summaries archived before they existed still load.
    gateway_name: str | None = Field(None, description="The VPN gateway's Name, if known.")
    connection_name: str | None = Field(None, description="The IPsec connection's Name, if known.")
    peer_ip: str | None = Field(
        None, description="The customer gateway's IP address (single tunnel, or master), if known."
    )

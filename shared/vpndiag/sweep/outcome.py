"""What became of each item of a sweep, and the report of the run.

An item is a connection (``diagnose`` mode) or a gateway (``collect`` mode, and a gateway whose
connections could not be listed). Statuses:

- ``handed_off``: the archive function accepted the work item (FC asynchronous invocation);
- ``archived`` / ``replayed``: the in-process pool archived it (``replayed``: already archived);
- ``skipped``: the gateway cannot be diagnosed now (unsupported, being configured), or the
  connection cannot be diagnosed at all (attached to a transit router): expected;
- ``failed``: an error, kept with the item;
- ``not_reached``: the invocation's time ran out first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

from vpndiag.errors import ApiError, VpndiagError

Status = Literal["handed_off", "archived", "replayed", "skipped", "failed", "not_reached"]
STATUSES: Final[tuple[Status, ...]] = (
    "handed_off",
    "archived",
    "replayed",
    "skipped",
    "failed",
    "not_reached",
)
DELIVERED: Final = frozenset({"handed_off", "archived", "replayed"})
PROBLEMS: Final = frozenset({"failed", "not_reached"})
# Documented answers of DiagnoseVpnGateway that say "not this gateway, not now": reported,
# never a failure of the run.
SKIP_CODES: Final = frozenset({"OperationUnsupported.DiagnoseVpn", "VpnGateway.Configuring"})


@dataclass(frozen=True)
class Outcome:
    region: str
    gateway_id: str | None
    connection_id: str | None
    status: Status
    diagnose_id: str | None = None
    code: str | None = None
    detail: str | None = None
    error: VpndiagError | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of_error(
        cls,
        exc: VpndiagError,
        region: str,
        gateway_id: str | None,
        connection_id: str | None = None,
        diagnose_id: str | None = None,
    ) -> Outcome:
        """``skipped`` for the expected refusals, ``failed`` for everything else."""
        code = exc.code if isinstance(exc, ApiError) else type(exc).__name__
        status: Status = "skipped" if code in SKIP_CODES else "failed"
        return cls(region, gateway_id, connection_id, status, diagnose_id, code, str(exc), exc)

    def to_json(self) -> dict[str, Any]:
        shown = {
            "region": self.region,
            "gateway_id": self.gateway_id,
            "connection_id": self.connection_id,
            "status": self.status,
            "diagnose_id": self.diagnose_id,
            "code": self.code,
            "detail": self.detail,
        }
        return {k: v for k, v in shown.items() if v is not None}


@dataclass(frozen=True)
class SweepReport:
    tick: str
    mode: str
    handoff: str
    regions: tuple[str, ...]
    gateways: int
    outcomes: tuple[Outcome, ...]
    elapsed_seconds: float
    tunnel_records: int = 0
    """``tunnel_status`` records written this run (0 on a replay of a logged tick)."""

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def delivered(self) -> int:
        return sum(1 for o in self.outcomes if o.status in DELIVERED)

    @property
    def problems(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status in PROBLEMS)

    def to_json(self) -> dict[str, Any]:
        """What the invocation returns (and an async destination receives)."""
        return {
            "tick": self.tick,
            "mode": self.mode,
            "handoff": self.handoff,
            "regions": list(self.regions),
            "gateways": self.gateways,
            "items": len(self.outcomes),
            "counts": {status: self.count(status) for status in STATUSES},
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "tunnel_records": self.tunnel_records,
            "outcomes": [o.to_json() for o in self.outcomes],
        }

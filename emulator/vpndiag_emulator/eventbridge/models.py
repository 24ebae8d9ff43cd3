"""The event buses of one account in one region, and every event published to them.

Like the real bus, an event published twice is stored twice: de-duplication by ``source`` + ``id``
is the consumer's job, and ``events()`` shows the duplicates so tests can see that it happens.
Refusals of single entries (the ``EntryList`` errors of a partly failed ``PutEvents``) are
scripted with ``reject``; whole-request failures come from ``cloud.faults``.

Every stored event is matched against the bus's enabled rules (``patterns.py``) and handed to
their targets (``rules.py``): Function Compute targets become invocations (``Async`` queued on the
FC backend, ``Sync`` run at once, inside the publishing call); other targets (DingTalk, HTTP, ...)
are recorded in ``deliveries`` and nothing is sent. ``PushRetryStrategy`` and a target's
``DeadLetterQueue`` are kept but not acted on: a failed delivery is recorded with its error.
"""

from __future__ import annotations

import copy
import re
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Final

from . import errors
from .patterns import matches
from .rules import FC_TARGET, Delivery, Rule, check_rule, parameters

if TYPE_CHECKING:
    from vpndiag_emulator.core.cloud import Cloud

DEFAULT_BUS: Final = "default"
_BUS_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,126}")
_RESERVED_PREFIX = "eventbridge-reserved-"


@dataclass
class _Rejection:
    code: str
    message: str
    remaining: int | None


@dataclass(frozen=True)
class EntryResult:
    """One line of ``EntryList``: the trace id when stored, the error otherwise."""

    event_id: str
    trace_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None


def publish_time(moment: datetime) -> str:
    """``aliyunpublishtime``: UTC with milliseconds."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class BusInfo:
    """What GetEventBus tells beyond the name."""

    description: str
    created_ms: int


class EventBridgeBackend:
    """The buses of one account in one region; the ``default`` bus always exists."""

    def __init__(self, cloud: Cloud, account_id: str, region: str) -> None:
        self._cloud = cloud
        self.account_id = account_id
        self.region = region
        self._lock = threading.Lock()
        self._buses: dict[str, list[dict[str, Any]]] = {DEFAULT_BUS: []}
        self._rejections: dict[str, _Rejection] = {}
        self._rules: dict[tuple[str, str], Rule] = {}
        self._deliveries: list[Delivery] = []
        self._info: dict[str, BusInfo] = {}

    # -- building the world (tests) ---------------------------------------------------------

    def create_bus(self, name: str, *, description: str = "") -> str:
        """Create a custom bus (the product's naming rules; ``default`` is taken)."""
        if not _BUS_NAME.fullmatch(name) or name.startswith(_RESERVED_PREFIX):
            raise ValueError(f"invalid event bus name {name!r}")
        with self._lock:
            if name in self._buses:
                raise ValueError(f"event bus {name!r} already exists")
            self._buses[name] = []
            self._info[name] = BusInfo(description, self._millis())
        return name

    def bus_info(self, name: str) -> BusInfo | None:
        """A bus's description and creation time (epoch ms); None if there is no such bus."""
        with self._lock:
            if name not in self._buses:
                return None
            return self._info.get(name) or BusInfo("", 0)

    def _millis(self) -> int:
        return int(self._cloud.clock.now().timestamp() * 1000)

    def delete_bus(self, name: str) -> None:
        """Delete a custom bus and its events; publishing to it then gets EventBusNotExist."""
        if name == DEFAULT_BUS:
            raise ValueError("the default bus cannot be deleted")
        with self._lock:
            del self._buses[name]
            self._info.pop(name, None)
            for key in [key for key in self._rules if key[0] == name]:
                del self._rules[key]

    def create_rule(
        self,
        bus: str,
        name: str,
        *,
        filter_pattern: Mapping[str, Any],
        targets: Sequence[Mapping[str, Any]],
        status: str = "ENABLE",
        description: str = "",
    ) -> Rule:
        """CreateRule with targets as ROS's Rule.Targets gives them (kept whole)."""
        check_rule(name, filter_pattern, targets, status)
        rule = Rule(
            bus,
            name,
            copy.deepcopy(dict(filter_pattern)),
            tuple(copy.deepcopy(dict(t)) for t in targets),
            status,
            description,
            self._cloud.clock.now(),
        )
        with self._lock:
            if bus not in self._buses:
                raise errors.bus_not_found(bus)
            if (bus, name) in self._rules:
                raise errors.rule_exists(bus, name)
            self._rules[(bus, name)] = rule
        return rule

    def delete_rule(self, bus: str, name: str) -> None:
        with self._lock:
            if self._rules.pop((bus, name), None) is None:
                raise errors.rule_not_found(bus, name)

    def rule(self, bus: str, name: str) -> Rule | None:
        with self._lock:
            return self._rules.get((bus, name))

    @property
    def deliveries(self) -> list[Delivery]:
        """Every event handed to a target so far (FC targets included), oldest first."""
        with self._lock:
            return list(self._deliveries)

    def publish_system_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """A cloud service's event on the ``default`` bus (VPN health events, for instance), as
        the cloud delivers it: missing CloudEvents attributes are filled in; returns it stored."""
        now = self._cloud.clock.now()
        filled = {
            "id": str(uuid.uuid4()),
            "specversion": "1.0",
            "time": now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "datacontenttype": "application/json;charset=utf-8",
            **copy.deepcopy(dict(event)),
        }
        for name in ("source", "type"):
            if not isinstance(filled.get(name), str) or not filled[name]:
                raise ValueError(f"a system event needs {name!r}")
        self.publish(DEFAULT_BUS, [filled], now=now, address="127.0.0.1")
        return self.events(DEFAULT_BUS)[-1]

    def reject(
        self,
        event_id: str,
        code: str = "InternalError",
        message: str | None = None,
        *,
        times: int | None = 1,
    ) -> None:
        """Refuse the entry with this id in the next ``times`` publications (``None``: always).

        The rest of the request is stored; the answer lists the entry with ``ErrorCode``.
        """
        if times is not None and times < 1:
            raise ValueError("times must be >= 1, or None for always")
        with self._lock:
            self._rejections[event_id] = _Rejection(
                code, message or f"The event [{event_id}] was refused ({code}).", times
            )

    # -- reading the world ------------------------------------------------------------------

    def buses(self) -> list[str]:
        """Every bus name, in creation order."""
        with self._lock:
            return list(self._buses)

    def events(self, bus: str) -> list[dict[str, Any]]:
        """Copies of the events stored on ``bus``, oldest first, duplicates included."""
        with self._lock:
            if bus not in self._buses:
                raise KeyError(f"no event bus {bus!r} in {self.account_id}/{self.region}")
            return copy.deepcopy(self._buses[bus])

    # -- the API's view ---------------------------------------------------------------------

    def publish(
        self, bus: str, events: Sequence[Mapping[str, Any]], *, now: datetime, address: str
    ) -> list[EntryResult]:
        """PutEvents: store each event with the bus's attributes, except scripted refusals."""
        results = []
        routed: list[tuple[Rule, dict[str, Any]]] = []
        with self._lock:
            stored = self._buses.get(bus)
            if stored is None:
                raise errors.bus_not_found(bus)
            for event in events:
                event_id = str(event["id"])
                refusal = self._refusal(event_id)
                if refusal is not None:
                    results.append(EntryResult(event_id, None, refusal.code, refusal.message))
                    continue
                record = {
                    **copy.deepcopy(dict(event)),
                    "aliyunaccountid": self.account_id,
                    "aliyunoriginalaccountid": self.account_id,
                    "aliyuneventbusname": bus,
                    "aliyunregionid": self.region,
                    "aliyunpublishtime": publish_time(now),
                    "aliyunpublishaddr": address,
                }
                stored.append(record)
                results.append(EntryResult(event_id, uuid.uuid4().hex.upper()))
                routed.extend(
                    (rule, copy.deepcopy(record))
                    for (rule_bus, _), rule in self._rules.items()
                    if rule_bus == bus and rule.enabled and matches(rule.filter_pattern, record)
                )
        for rule, record in routed:
            for target in rule.targets:
                self._deliver(rule, target, record)
        return results

    def _deliver(self, rule: Rule, target: Mapping[str, Any], event: Mapping[str, Any]) -> None:
        params = parameters(target, event)
        request_id: str | None = None
        error: str | None = None
        if target["Type"] == FC_TARGET:
            request_id, error = self._invoke(params)
        delivery = Delivery(
            rule.bus,
            rule.name,
            str(target["Id"]),
            str(target["Type"]),
            str(target.get("Endpoint", "")),
            str(event.get("id", "")),
            params,
            request_id,
            error,
        )
        with self._lock:
            self._deliveries.append(delivery)

    def _invoke(self, params: Mapping[str, str]) -> tuple[str | None, str | None]:
        service, function = params.get("serviceName", ""), params.get("functionName", "")
        qualifier = params.get("Qualifier") or "LATEST"
        body = params.get("Body", "").encode("utf-8")
        fc = self._cloud.fc(self.region, account_id=self.account_id)
        if fc.function(service, function) is None:
            return None, f"function {service}/{function} does not exist in {self.region}"
        # Inferred: without InvocationType the target invokes asynchronously (the console's default).
        if params.get("InvocationType", "Async").lower() == "sync":
            result = fc.invoke(service, function, body, qualifier=qualifier)
            return result.request_id, result.error
        return fc.enqueue(service, function, body, qualifier=qualifier), None

    def _refusal(self, event_id: str) -> _Rejection | None:
        # Called with the lock held.
        rejection = self._rejections.get(event_id)
        if rejection is not None and rejection.remaining is not None:
            rejection.remaining -= 1
            if rejection.remaining == 0:
                del self._rejections[event_id]
        return rejection

"""The event buses of one account in one region, and every event published to them.

Like the real bus, an event published twice is stored twice: de-duplication by ``source`` + ``id``
is the consumer's job, and ``events()`` shows the duplicates so tests can see that it happens.
Refusals of single entries (the ``EntryList`` errors of a partly failed ``PutEvents``) are
scripted with ``reject``; whole-request failures come from ``cloud.faults``.
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


class EventBridgeBackend:
    """The buses of one account in one region; the ``default`` bus always exists."""

    def __init__(self, cloud: Cloud, account_id: str, region: str) -> None:
        self._cloud = cloud
        self.account_id = account_id
        self.region = region
        self._lock = threading.Lock()
        self._buses: dict[str, list[dict[str, Any]]] = {DEFAULT_BUS: []}
        self._rejections: dict[str, _Rejection] = {}

    # -- building the world (tests) ---------------------------------------------------------

    def create_bus(self, name: str) -> str:
        """Create a custom bus (the product's naming rules; ``default`` is taken)."""
        if not _BUS_NAME.fullmatch(name) or name.startswith(_RESERVED_PREFIX):
            raise ValueError(f"invalid event bus name {name!r}")
        with self._lock:
            if name in self._buses:
                raise ValueError(f"event bus {name!r} already exists")
            self._buses[name] = []
        return name

    def delete_bus(self, name: str) -> None:
        """Delete a custom bus and its events; publishing to it then gets EventBusNotExist."""
        if name == DEFAULT_BUS:
            raise ValueError("the default bus cannot be deleted")
        with self._lock:
            del self._buses[name]

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
                stored.append(
                    {
                        **copy.deepcopy(dict(event)),
                        "aliyunaccountid": self.account_id,
                        "aliyunoriginalaccountid": self.account_id,
                        "aliyuneventbusname": bus,
                        "aliyunregionid": self.region,
                        "aliyunpublishtime": publish_time(now),
                        "aliyunpublishaddr": address,
                    }
                )
                results.append(EntryResult(event_id, uuid.uuid4().hex.upper()))
        return results

    def _refusal(self, event_id: str) -> _Rejection | None:
        # Called with the lock held.
        rejection = self._rejections.get(event_id)
        if rejection is not None and rejection.remaining is not None:
            rejection.remaining -= 1
            if rejection.remaining == 0:
                del self._rejections[event_id]
        return rejection

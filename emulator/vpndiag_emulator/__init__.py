"""vpndiag_emulator: a local emulator of the slice of Alibaba Cloud vpndiag uses ("moto" style).

Never deployed. It implements the wire contract independently of the app (its own signature
verification, written from the vendor specification), so the app's clients and the emulator
check each other::

    from vpndiag_emulator import Cloud, ManualClock

    cloud = Cloud(seed=42, clock=ManualClock())
    gateway = cloud.vpc("cn-hangzhou").add_gateway(name="gw")
    with cloud.serve() as server:        # or: with cloud.mock(): ...
        ...                              # point a client at server.base_url
"""

from __future__ import annotations

from .core.clock import Clock, ManualClock, SystemClock
from .core.cloud import Cloud
from .core.credentials import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_ACCOUNT_ID,
    AccessKey,
)
from .core.faults import Fault, FaultKind
from .core.request_log import RequestRecord
from .core.server import LoopbackServer
from .eventbridge.models import EventBridgeBackend
from .fc.context import FcContext
from .fc.models import DeadLetter, FcBackend
from .oss.models import OssBackend, StoredObject
from .sls.models import SlsBackend
from .vpc.models import Connection, Diagnosis, Gateway, VpcBackend

__all__ = [
    "DEFAULT_ACCESS_KEY_ID",
    "DEFAULT_ACCESS_KEY_SECRET",
    "DEFAULT_ACCOUNT_ID",
    "AccessKey",
    "Clock",
    "Cloud",
    "Connection",
    "DeadLetter",
    "Diagnosis",
    "EventBridgeBackend",
    "Fault",
    "FaultKind",
    "FcBackend",
    "FcContext",
    "Gateway",
    "LoopbackServer",
    "ManualClock",
    "OssBackend",
    "RequestRecord",
    "SlsBackend",
    "StoredObject",
    "SystemClock",
    "VpcBackend",
]

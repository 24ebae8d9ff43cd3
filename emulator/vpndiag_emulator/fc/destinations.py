"""Async-invocation destinations: where FC sends the record of a finished asynchronous invocation.

FC documents MNS queues, functions, EventBridge and RocketMQ as destinations, with payload limits
of 64 KB (MNS, EventBridge) and 128 KB (FC) (https://www.alibabacloud.com/help/en/fc/user-guide/
result-callback). ARN forms: ``acs:mns:{region}:{uid}:/queues/{queue}/messages`` and
``acs:fc:{region}:{uid}:services/{service}.{qualifier}/functions/{function}`` (the forms ROS
templates write, e.g. vpndiag's own ``AsyncConfiguration.Destination.OnFailure``). MNS queues and
functions are emulated; other destination types are refused when the function is configured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from . import errors

_MNS: Final = re.compile(
    r"acs:mns:(?P<region>[a-z0-9-]+):(?P<account>[0-9]+):/queues/(?P<queue>[^/]+)/messages"
)
_FC: Final = re.compile(
    r"acs:fc:(?P<region>[a-z0-9-]+):(?P<account>[0-9]+):services/(?P<service>[A-Za-z0-9_-]+)"
    r"(?:\.(?P<qualifier>[A-Za-z0-9_-]+))?/functions/(?P<function>[A-Za-z0-9_-]+)"
)


@dataclass(frozen=True)
class MnsQueueDestination:
    region: str
    account_id: str
    queue: str


@dataclass(frozen=True)
class FunctionDestination:
    region: str
    account_id: str
    service: str
    function: str
    qualifier: str


Destination = MnsQueueDestination | FunctionDestination


def parse_destination(arn: str) -> Destination:
    """The destination an ARN names; ``InvalidArgument`` for a form FC would not take, and the
    emulator's ``UnsupportedOperation`` for real destination types it does not emulate."""
    mns = _MNS.fullmatch(arn)
    if mns is not None:
        return MnsQueueDestination(mns["region"], mns["account"], mns["queue"])
    fc = _FC.fullmatch(arn)
    if fc is not None:
        return FunctionDestination(
            fc["region"], fc["account"], fc["service"], fc["function"], fc["qualifier"] or "LATEST"
        )
    if arn.startswith(("acs:eventbridge:", "acs:mq:", "acs:rocketmq:")):
        raise errors.unsupported(f"async destination {arn}")
    raise errors.invalid_argument(f"destination {arn!r} is not an MNS queue or FC function ARN")

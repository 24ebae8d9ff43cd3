"""The emulated services, in routing order (see ``core.router``: narrower shape claims first)."""

from __future__ import annotations

from .core.service import Service
from .eventbridge.control import eventbridge_control_service
from .eventbridge.service import eventbridge_service
from .fc.service import fc_service
from .oss.service import oss_service
from .ros.service import ros_service
from .sls.service import sls_service
from .vpc.service import vpc_service


def default_services() -> tuple[Service, ...]:
    """Every service a ``Cloud`` emulates.

    VPC claims any loopback request shaped like POP RPC, so RPC products added later with a
    narrower claim (a specific ``x-acs-version``) go before it. OSS claims loopback requests
    carrying an OSS signature or ``x-oss-*`` headers, which no RPC call has; SLS claims none;
    FC claims its API's path prefix or an ``FC`` authorization; EventBridge a path under
    ``/openapi/`` with its ``x-eventbridge-version`` header; ROS its version, 2019-09-10, and
    EventBridge's control plane (buses) its version, 2020-04-01.
    """
    return (
        fc_service(),
        eventbridge_service(),
        oss_service(),
        sls_service(),
        ros_service(),
        eventbridge_control_service(),
        vpc_service(),
    )

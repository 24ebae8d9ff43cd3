"""The ROS service as the core routes to it: a POP RPC product, version 2019-09-10."""

from __future__ import annotations

from vpndiag_emulator.core.rpc import RpcService, rpc_params
from vpndiag_emulator.core.wire import EmulatedRequest

from .responses import ACTIONS, VERSION
from .urls import DEFAULT_HOST, HOST_PATTERN


class RosService(RpcService):
    """ROS over RPC; on loopback it claims only requests naming its own API version.

    Every POP RPC product sends ``x-acs-action``; the version (``x-acs-version`` for V3, the
    ``Version`` parameter for V1) is what tells a ROS call from a VPC call.
    """

    def claims(self, request: EmulatedRequest) -> bool:
        """RPC shape with version 2019-09-10."""
        if self.action_of(request) is None:
            return False
        version = request.header("x-acs-version") or dict(rpc_params(request)).get("Version")
        return version == VERSION


def ros_service() -> RosService:
    """The ROS API: its hosts, version and actions."""
    return RosService(
        name="ros",
        product="ROS",
        version=VERSION,
        host_pattern=HOST_PATTERN,
        default_host=DEFAULT_HOST,
        actions=ACTIONS,
    )

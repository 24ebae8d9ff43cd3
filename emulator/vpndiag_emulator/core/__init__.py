"""Service-independent machinery: the world (``Cloud``), transports, routing, auth and faults.

A request's path, whichever transport brought it (``server`` or ``mock``)::

    EmulatedRequest -> Cloud.handle -> Router.route (host pattern, else request shape)
                    -> FaultInjector.draw (latency, then at most one other fault)
                    -> Service.handle (authenticate, act, render) -> EmulatedResponse
                    -> RequestLog

Adding a service (OSS, SLS, FC, EventBridge) follows the VPC package's layout:

- ``<svc>/urls.py``: the real host names as one regex (fullmatch, no port).
- ``<svc>/models.py``: a backend per account and region, its own lock, immutable records;
  built lazily through ``core.backends.Backends`` and exposed by a ``Cloud.<svc>()`` accessor.
- ``<svc>/responses.py``: handlers that parse, call the backend and render; errors are raised
  as exceptions the service renders in its own format (JSON for POP RPC, XML for OSS).
- ``<svc>/service.py``: an object satisfying ``core.service.Service``; POP RPC products reuse
  ``core.rpc.RpcService`` and with it ``core.acs_auth`` (V3 and V1 signatures).
- register it in ``vpndiag_emulator.services.default_services`` (order matters for loopback
  routing by shape: narrower claims first).
"""

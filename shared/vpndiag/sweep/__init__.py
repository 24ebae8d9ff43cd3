"""The scheduled sweep: discover gateways and IPsec connections, start one diagnosis per
connection, and hand one work item per diagnosis to the archive.

- ``settings``: the ``VPNDIAG_SWEEP_*`` configuration (regions, gateway ids or tag filters, mode,
  hand-off, concurrency);
- ``discovery``: which gateways and connections a sweep covers (DescribeVpnGateways,
  DescribeVpnConnections, every page);
- ``start``: DiagnoseVpnGateway with a ClientToken derived from the tick and the connection;
- ``outcome``: what became of each item, and the run's report;
- ``handoff``: the work item and the in-process pool hand-off;
- ``fc_handoff``: the hand-off through FC asynchronous invocations (``aliyun-fc2``, imported
  only on that path);
- ``runner``: the sweep function's app, bounded concurrency within the invocation's time.
"""

"""The RAM action and resource ARN of each emulated SLS operation.

SLS's RAM reference (Simple Log Service "RAM authorization", RAM code ``log``): logstore operations
are authorised on ``acs:log:{region}:{account}:project/{project}/logstore/{logstore}`` and project
operations on ``acs:log:{region}:{account}:project/{project}``. PutLogs is the RAM action
``log:PostLogStoreLogs`` and GetLogs ``log:GetLogStoreLogs``; the other operations keep their API
names (``log:CreateLogStore``, ``log:CreateIndex``, ...).
"""

from __future__ import annotations

from typing import Final

_RAM_ACTIONS: Final = {"PutLogs": "log:PostLogStoreLogs", "GetLogs": "log:GetLogStoreLogs"}


def ram_action(action: str) -> str:
    """The RAM action of an emulated operation."""
    return _RAM_ACTIONS.get(action, f"log:{action}")


def resource(region: str, account: str, project: str, logstore: str) -> str:
    """The logstore's ARN, or the project's for project operations (``logstore`` empty)."""
    arn = f"acs:log:{region}:{account}:project/{project}"
    return f"{arn}/logstore/{logstore}" if logstore else arn

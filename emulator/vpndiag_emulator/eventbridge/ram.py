"""The RAM resources of a PutEvents call, and the data plane's refusal naming them.

``eventbridge:PutEvents`` on ``acs:eventbridge:{region}:{account}:eventbus/{bus}`` (EventBridge
"RAM authorization", RAM code ``eventbridge``; the bus is each event's ``aliyuneventbusname``).
Inferred: a body the emulator cannot read for bus names is authorised as ``eventbus/*``; the
batch's own checks then name what is wrong with it.
"""

from __future__ import annotations

import json
from typing import Final

from . import errors

RAM_ACTION: Final = "eventbridge:PutEvents"


def resources(region: str, account: str, body: bytes) -> tuple[str, ...]:
    """One ARN per bus the batch names (``eventbus/*`` when it names none readably)."""
    try:
        events = json.loads(body)
    except ValueError:
        events = None
    buses = sorted(
        {
            e["aliyuneventbusname"]
            for e in (events if isinstance(events, list) else [])
            if isinstance(e, dict) and isinstance(e.get("aliyuneventbusname"), str)
        }
    ) or ["*"]
    return tuple(f"acs:eventbridge:{region}:{account}:eventbus/{bus}" for bus in buses)


def denied(arn: str) -> errors.EventBridgeError:
    """403 AccessDenied (the product's code); the text naming action and resource is inferred."""
    return errors.EventBridgeError(
        403, "AccessDenied", f"You are not authorized to perform {RAM_ACTION} on {arn}."
    )


def token_expired() -> errors.EventBridgeError:
    """An STS key past its expiry: the product's token error (inferred for expiry)."""
    return errors.security_token_invalid("the security token has expired")

"""EventBridge error answers: ``{"code", "message", "requestId"}`` with the product's codes.

Codes and texts come from the product's error-code page where it has them (``SignatureDoesNotMatch``,
``InvalidAccessKeyId``, ``SecurityTokenInvalid``, ``AccessDenied``, ``TooManyRequests``) and from
its open-source core (``EventBusNotExist``, ``PutEventsRequestMoreThanOneEventBus``, both 409).
Those marked "inferred" are named by the emulator so the situation answers with an error.
"""

from __future__ import annotations


class EventBridgeError(Exception):
    """An error answer; ``detail`` is for the request log only, never sent."""

    def __init__(self, status: int, code: str, message: str, detail: str | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail


def signature_mismatch(string_to_sign: str) -> EventBridgeError:
    """The signature differs (the server's string to sign goes to the request log only)."""
    return EventBridgeError(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        detail=string_to_sign,
    )


def invalid_access_key(key_id: str) -> EventBridgeError:
    """No such access key."""
    return EventBridgeError(
        403, "InvalidAccessKeyId", "The access Id you provided is not exist.", detail=key_id
    )


def security_token_invalid(detail: str) -> EventBridgeError:
    """STS token missing, wrong, or sent with a permanent key."""
    return EventBridgeError(
        403,
        "SecurityTokenInvalid",
        "The Security token that your provide is invalid.",
        detail=detail,
    )


def access_denied(detail: str | None = None) -> EventBridgeError:
    """The key may not publish here (another account's endpoint, or a denied action)."""
    return EventBridgeError(
        403,
        "AccessDenied",
        "The OwnerId that your Access Key Id associated to is forbidden for this operation.",
        detail=detail,
    )


def time_expired(detail: str) -> EventBridgeError:
    """``Date`` missing, malformed or outside the window (inferred code)."""
    return EventBridgeError(
        403, "RequestTimeExpired", "The request date is invalid or expired.", detail=detail
    )


def nonce_used() -> EventBridgeError:
    """A replayed ``x-acs-signature-nonce`` (inferred code)."""
    return EventBridgeError(403, "SignatureNonceUsed", "The signature nonce has been used.")


def bus_not_found(bus: str) -> EventBridgeError:
    """No such bus in the account and region."""
    return EventBridgeError(409, "EventBusNotExist", f"The event bus [{bus}] not existed!")


def several_buses(buses: str) -> EventBridgeError:
    """One request names more than one bus."""
    return EventBridgeError(
        409,
        "PutEventsRequestMoreThanOneEventBus",
        f"The put events request has more than one  event bus [{buses}] ",
    )


def invalid_argument(detail: str) -> EventBridgeError:
    """A body the bus cannot take: not a JSON array of events, a missing attribute, a limit
    passed (inferred code; the message says which)."""
    return EventBridgeError(400, "InvalidArgument", f"The request is invalid: {detail}")


def not_found(detail: str) -> EventBridgeError:
    """A path or method the data plane does not serve (inferred code)."""
    return EventBridgeError(404, "InvalidRequestURL", "The request URL is invalid.", detail)


def rule_exists(bus: str, rule: str) -> EventBridgeError:
    """A rule of that name is already on the bus (inferred code)."""
    return EventBridgeError(409, "EventRuleExisted", f"The event rule [{rule}] of [{bus}] existed!")


def rule_not_found(bus: str, rule: str) -> EventBridgeError:
    """No such rule on the bus (inferred code)."""
    return EventBridgeError(
        404, "EventRuleNotExisted", f"The event rule [{rule}] of [{bus}] not existed!"
    )

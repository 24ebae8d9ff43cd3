"""Authenticating an SLS request: V1 (``LOG <ak>:<signature>``) or V4 (``SLS4-HMAC-SHA256``).

Time: ``x-log-date`` replaces ``Date`` for the 15-minute check when sent (V1 clients send it as an
RFC 822 date next to ``Date``; V4 as ``yyyymmddTHHMMSSZ``). Checks run in the order a client can
fix them: scheme, date present and readable, key known, time within the window, signature, STS
token (``x-acs-security-token``), then the key's permission.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import TYPE_CHECKING

from vpndiag_emulator.core.credentials import AccessKey
from vpndiag_emulator.oss.signing import TERMINATOR, TIMESTAMP_FORMAT

from . import errors, ram
from .signing import (
    V1_PREFIX,
    V4_ALGORITHM,
    v1_signature,
    v1_string_to_sign,
    v4_canonical_request,
    v4_signature,
)

if TYPE_CHECKING:
    from vpndiag_emulator.core.cloud import Cloud
    from vpndiag_emulator.core.wire import EmulatedRequest


def authenticate(
    cloud: Cloud,
    request: EmulatedRequest,
    *,
    region: str,
    action: str,
    project: str,
    logstore: str,
) -> AccessKey:
    """The calling key, or an ``SlsError`` as SLS would answer.

    ``logstore`` is empty for operations on the project itself.
    """
    authorization = (request.header("authorization") or "").strip()
    if authorization.startswith(V1_PREFIX + " "):
        key = _verify_v1(cloud, request, authorization[len(V1_PREFIX) + 1 :])
    elif authorization.startswith(V4_ALGORITHM + " "):
        key = _verify_v4(cloud, request, authorization[len(V4_ALGORITHM) + 1 :], region)
    else:
        raise errors.unauthorized("The Authorization header is missing or of an unknown scheme.")
    if key.is_expired(cloud.clock.now()):
        # SLS answers credential problems 401 Unauthorized (its common error codes); the
        # wording is inferred.
        raise errors.unauthorized("The security token you provided has expired.")
    action_name = ram.ram_action(action)
    arn = ram.resource(region, key.account_id, project, logstore)
    if not cloud.credentials.is_allowed(key, "sls", action, ram_action=action_name, resource=arn):
        raise errors.unauthorized(f"denied by sts or ram, action: {action_name}, resource: {arn}")
    return key


def _verify_v1(cloud: Cloud, request: EmulatedRequest, credential: str) -> AccessKey:
    key_id, _, provided = credential.partition(":")
    date = request.header("date")
    if date is None:
        raise errors.missing_date()
    _check_time(cloud, request.header("x-log-date") or date)
    key = _lookup(cloud, key_id)
    text = v1_string_to_sign(request.method, request.path, request.query_params, request.headers)
    if not hmac.compare_digest(v1_signature(key.secret, text), provided.strip()):
        raise errors.signature_mismatch(provided, text)
    _check_token(key, request.header("x-acs-security-token"))
    return key


def _verify_v4(cloud: Cloud, request: EmulatedRequest, fields_text: str, region: str) -> AccessKey:
    fields = dict(part.strip().partition("=")[::2] for part in fields_text.split(","))
    parts = fields.get("Credential", "").split("/")
    provided = fields.get("Signature", "")
    if len(parts) != 5 or parts[3] != "sls" or parts[4] != TERMINATOR or not provided:
        raise errors.unauthorized(
            f"Authorization must be {V4_ALGORITHM} Credential=<ak>/<date>/<region>/sls/"
            f"{TERMINATOR},Signature=<hex>."
        )
    timestamp = request.header("x-log-date")
    if timestamp is None:
        raise errors.missing_date()
    _check_time(cloud, timestamp)
    key = _lookup(cloud, parts[0])
    # The server hashes the body it received: a client that declared another hash signed a
    # different canonical request, which surfaces as a signature mismatch.
    canonical = v4_canonical_request(
        request.method,
        request.path,
        request.query_params,
        request.headers,
        hashlib.sha256(request.body).hexdigest(),
    )
    text, expected = v4_signature(key.secret, timestamp, region, canonical)
    if not hmac.compare_digest(expected, provided.lower()):
        raise errors.signature_mismatch(provided, text)
    _check_token(key, request.header("x-acs-security-token"))
    return key


def _lookup(cloud: Cloud, key_id: str) -> AccessKey:
    key = cloud.credentials.get(key_id)
    if key is None:
        raise errors.unauthorized(f"AccessKeyId not found: {key_id}")
    return key


def _parse_time(text: str) -> datetime:
    try:
        return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        raise errors.invalid_date(text) from None
    if moment.tzinfo is None:
        raise errors.invalid_date(text)
    return moment


def _check_time(cloud: Cloud, text: str) -> None:
    sent = _parse_time(text)
    now = cloud.clock.now()
    if abs(now - sent) > cloud.timestamp_tolerance:
        raise errors.request_time_expired(text, format_datetime(now, usegmt=True))


def _check_token(key: AccessKey, token: str | None) -> None:
    if key.security_token is None:
        if token:
            raise errors.unauthorized("A security token was sent with a permanent AccessKey.")
    elif not token or not hmac.compare_digest(token, key.security_token):
        raise errors.unauthorized("The SecurityToken is missing or invalid.")

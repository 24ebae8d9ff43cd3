"""The POP RPC style shared by Alibaba Cloud RPC products: parameters, pipeline, JSON answers.

A product (VPC here) supplies its version, host pattern and a table of action handlers; this
module runs the gateway's pipeline around them: action and version resolution, authentication,
permission check, then the handler, with every failure rendered as the RPC error body
``{"RequestId","HostId","Code","Message","Recommend"}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .acs_auth import authenticate
from .acs_errors import (
    AcsError,
    action_not_found,
    forbidden,
    invalid_parameter,
    invalid_version,
    missing_parameter,
)
from .credentials import AccessKey
from .ids import request_id as new_request_id
from .wire import EmulatedRequest, EmulatedResponse

if TYPE_CHECKING:
    from .cloud import Cloud

JsonObject = dict[str, object]
ActionHandler = Callable[["RpcCall"], JsonObject]
ResourceOf = Callable[[str, Mapping[str, str], str, str], str]
"""``(action, params, region, account) -> resource ARN`` RAM authorises the action on."""

_JSON_TYPE = "application/json;charset=utf-8"


def render_json(payload: object) -> bytes:
    """Compact UTF-8 JSON, as the real gateway sends it."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def rpc_params(request: EmulatedRequest) -> tuple[tuple[str, str], ...]:
    """All RPC parameters: the query string, then a form-encoded body if any."""
    return request.query_params + request.form_params


@dataclass(frozen=True)
class RpcCall:
    """One authenticated call, as an action handler sees it."""

    cloud: Cloud
    account_id: str
    action: str
    params: Mapping[str, str]
    request_id: str

    def optional(self, name: str) -> str | None:
        """A parameter's value; an empty value counts as absent, as at the real gateway."""
        return self.params.get(name) or None

    def required(self, name: str) -> str:
        """A mandatory parameter's value, else ``Missing<Name>``."""
        value = self.optional(name)
        if value is None:
            raise missing_parameter(name)
        return value

    def integer(self, name: str, *, default: int, minimum: int, maximum: int | None = None) -> int:
        """An integer parameter within bounds, else ``InvalidParameter``."""
        text = self.optional(name)
        if text is None:
            return default
        try:
            value = int(text)
        except ValueError:
            raise invalid_parameter(name, text) from None
        if value < minimum or (maximum is not None and value > maximum):
            raise invalid_parameter(name, text)
        return value

    def indexed(self, prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
        """Repeat-list parameters ``Prefix.N.Field`` as dicts ordered by N (N from 1)."""
        pattern = re.compile(rf"{re.escape(prefix)}\.([1-9][0-9]*)\.({'|'.join(fields)})")
        items: dict[int, dict[str, str]] = {}
        for name, value in self.params.items():
            match = pattern.fullmatch(name)
            if match:
                items.setdefault(int(match.group(1)), {})[match.group(2)] = value
        return [items[n] for n in sorted(items)]


class RpcService:
    """A POP RPC product: implements the core's ``Service`` contract."""

    def __init__(
        self,
        *,
        name: str,
        product: str,
        version: str,
        host_pattern: re.Pattern[str],
        default_host: str,
        actions: Mapping[str, ActionHandler],
        resource_of: ResourceOf | None = None,
    ) -> None:
        self._name = name
        self._product = product
        self._version = version
        self._host_pattern = host_pattern
        self._default_host = default_host
        self._actions = dict(actions)
        self._resource_of = resource_of

    @property
    def name(self) -> str:
        """Short service name (``vpc``)."""
        return self._name

    @property
    def host_pattern(self) -> re.Pattern[str]:
        """The product's real host names."""
        return self._host_pattern

    def claims(self, request: EmulatedRequest) -> bool:
        """RPC shape: an ``x-acs-action`` header (V3) or an ``Action`` parameter (V1)."""
        return self.action_of(request) is not None

    def action_of(self, request: EmulatedRequest) -> str | None:
        """V3 names the action in ``x-acs-action``; V1 in the ``Action`` parameter."""
        header = request.header("x-acs-action")
        if header:
            return header
        return dict(rpc_params(request)).get("Action") or None

    def handle(self, cloud: Cloud, request: EmulatedRequest) -> EmulatedResponse:
        """Run the gateway pipeline and the action; every failure becomes an error answer."""
        request_id = new_request_id()
        try:
            params = rpc_params(request)
            action = self.action_of(request)
            if action is None:
                raise missing_parameter("Action")
            version = request.header("x-acs-version") or dict(params).get("Version")
            if not version:
                raise missing_parameter("Version")
            if version != self._version:
                raise invalid_version()
            handler = self._actions.get(action)
            if handler is None:
                raise action_not_found()
            key = authenticate(cloud, request, params)
            self._authorize(cloud, key, action, dict(params))
            call = RpcCall(cloud, key.account_id, action, dict(params), request_id)
            payload = handler(call)
        except AcsError as error:
            return self._error(request, request_id, error)
        return EmulatedResponse(
            status=200,
            body=render_json({"RequestId": request_id, **payload}),
            headers={"Content-Type": _JSON_TYPE, "x-acs-request-id": request_id},
        )

    def _authorize(
        self, cloud: Cloud, key: AccessKey, action: str, params: Mapping[str, str]
    ) -> None:
        if key.is_expired(cloud.clock.now()):
            # Inferred status; the code is the gateway's (the SDKs' credential-error lists).
            raise AcsError(
                400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired."
            )
        region = params.get("RegionId") or "*"
        resource = (
            self._resource_of(action, params, region, key.account_id)
            if self._resource_of is not None
            else "*"
        )
        ram_action = f"{self._name}:{action}"
        if cloud.credentials.is_allowed(key, self._name, action, resource=resource):
            return
        if key.role is None:
            raise forbidden()
        # RAM's refusal at the POP gateway; the gateway's text does not name the action and
        # resource (it sends them apart, in AccessDeniedDetail): the emulator appends them.
        raise AcsError(
            403,
            "Forbidden.RAM",
            "User not authorized to operate on the specified resource, or this API doesn't "
            f"support RAM. Action: {ram_action}, Resource: {resource}.",
        )

    def error_response(
        self,
        request: EmulatedRequest,
        *,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> EmulatedResponse:
        """An RPC error answer with a fresh request id."""
        error = AcsError(status, code, message, headers=headers)
        return self._error(request, new_request_id(), error)

    def _error(
        self, request: EmulatedRequest, request_id: str, error: AcsError
    ) -> EmulatedResponse:
        hostname = request.hostname
        host_id = hostname if self._host_pattern.fullmatch(hostname) else self._default_host
        body = {
            "RequestId": request_id,
            "HostId": host_id,
            "Code": error.code,
            "Message": error.message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={error.code}"
            f"&product={self._product}&requestId={request_id}",
        }
        return EmulatedResponse(
            status=error.status,
            body=render_json(body),
            headers={"Content-Type": _JSON_TYPE, "x-acs-request-id": request_id, **error.headers},
            error_code=error.code,
            detail=error.detail,
        )

"""``ALIYUN::FC::Service``, ``Function`` and ``Trigger`` in the emulated Function Compute.

Attributes as the vendor spec lists them (ros-cdk-fc). The ids FC generates (ServiceId, FunctionId,
TriggerId) are name-based UUIDs here, so a redeploy gets the same ones; physical ids are the names
(inferred). Defaults of the ALIYUN::FC::Function reference page: Timeout 3 s, MemorySize 128 MB,
InitializationTimeout 3 s. The function's code is the zip named by ``Code.OssBucketName`` /
``OssObjectName`` in the stack's own region and account, or ``Code.ZipFile`` (base64).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Mapping
from typing import Any

from vpndiag_emulator.fc.models import AsyncConfig

from .base import Provisioned, ProvisionError, Target, required

_DEFAULT_TIMEOUT = 3
_DEFAULT_MEMORY = 128
_DEFAULT_INITIALIZATION_TIMEOUT = 3


def _generated_id(target: Target, *parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join((target.account_id, target.region, *parts))))


class ServiceProvisioner:
    """ServiceName, Role, LogConfig.Project / Logstore, Description, InternetAccess."""

    def create(self, target: Target, properties: Mapping[str, Any]) -> Provisioned:
        """CreateService."""
        name = str(required(properties, "ServiceName"))
        log = properties.get("LogConfig") or {}
        internet = properties.get("InternetAccess", True)
        internet_access = internet is True or str(internet).lower() == "true"
        role = properties.get("Role")
        target.cloud.fc(target.region, target.account_id).create_service(
            name,
            role_arn=None if role is None else str(role),
            log_project=log.get("Project"),
            log_store=log.get("Logstore"),
            description=str(properties.get("Description", "")),
            internet_access=internet_access,
        )
        return Provisioned(
            name,
            {
                "ServiceName": name,
                "ServiceId": _generated_id(target, name),
                "Role": role or "",
                "LogProject": log.get("Project", ""),
                "Logstore": log.get("Logstore", ""),
                "InternetAccess": internet_access,
                "Tags": properties.get("Tags", []),
            },
        )

    def delete(self, target: Target, resource: Provisioned, properties: Mapping[str, Any]) -> None:
        """DeleteService."""
        target.cloud.fc(target.region, target.account_id).delete_service(resource.physical_id)


def _code(target: Target, code: Mapping[str, Any]) -> bytes:
    if "ZipFile" in code:
        try:
            return base64.b64decode(str(code["ZipFile"]), validate=True)
        except binascii.Error:
            raise ProvisionError("Code.ZipFile is not base64") from None
    if "OssBucketName" in code and "OssObjectName" in code:
        oss = target.cloud.oss(target.region, target.account_id)
        return oss.get_object(str(code["OssBucketName"]), str(code["OssObjectName"])).body
    raise ProvisionError(
        "the emulator takes a function's code from Code.OssBucketName + OssObjectName or "
        "Code.ZipFile"
    )


def _async_config(settings: Mapping[str, Any] | None) -> AsyncConfig | None:
    if not settings:
        return None
    destination = settings.get("Destination") or {}
    defaults = AsyncConfig()
    return AsyncConfig(
        max_async_retry_attempts=int(
            settings.get("MaxAsyncRetryAttempts", defaults.max_async_retry_attempts)
        ),
        max_async_event_age=int(
            settings.get("MaxAsyncEventAgeInSeconds", defaults.max_async_event_age)
        ),
        on_failure=destination.get("OnFailure"),
        on_success=destination.get("OnSuccess"),
    )


class FunctionProvisioner:
    """ServiceName, FunctionName, Code, Handler, Runtime, Timeout, MemorySize,
    EnvironmentVariables, Initializer, InitializationTimeout, AsyncConfiguration."""

    def create(self, target: Target, properties: Mapping[str, Any]) -> Provisioned:
        """CreateFunction with the code package read from OSS (or inline)."""
        service = str(required(properties, "ServiceName"))
        name = str(required(properties, "FunctionName"))
        initializer = properties.get("Initializer")
        fc = target.cloud.fc(target.region, target.account_id)
        fc.create_function(
            service,
            name,
            code=_code(target, required(properties, "Code")),
            handler=str(required(properties, "Handler")),
            runtime=str(required(properties, "Runtime")),
            timeout=int(properties.get("Timeout", _DEFAULT_TIMEOUT)),
            memory=int(properties.get("MemorySize", _DEFAULT_MEMORY)),
            environment={
                str(key): str(value)
                for key, value in (properties.get("EnvironmentVariables") or {}).items()
            },
            initializer=None if initializer is None else str(initializer),
            initialization_timeout=(
                None
                if initializer is None
                else int(properties.get("InitializationTimeout", _DEFAULT_INITIALIZATION_TIMEOUT))
            ),
            async_config=_async_config(properties.get("AsyncConfiguration")),
        )
        return Provisioned(
            name,
            {
                "FunctionName": name,
                "FunctionId": _generated_id(target, service, name),
                "ServiceName": service,
                "ServiceId": _generated_id(target, service),
                "ARN": fc.function_arn(service, name),
            },
        )

    def delete(self, target: Target, resource: Provisioned, properties: Mapping[str, Any]) -> None:
        """DeleteFunction."""
        fc = target.cloud.fc(target.region, target.account_id)
        fc.delete_function(str(properties["ServiceName"]), resource.physical_id)


class TriggerProvisioner:
    """ServiceName, FunctionName, TriggerName, TriggerType, TriggerConfig, Qualifier,
    InvocationRole, SourceArn."""

    def create(self, target: Target, properties: Mapping[str, Any]) -> Provisioned:
        """CreateTrigger."""
        service = str(required(properties, "ServiceName"))
        function = str(required(properties, "FunctionName"))
        name = str(required(properties, "TriggerName"))
        target.cloud.fc(target.region, target.account_id).create_trigger(
            service,
            function,
            name,
            trigger_type=str(required(properties, "TriggerType")),
            config=required(properties, "TriggerConfig"),
            qualifier=properties.get("Qualifier"),
            invocation_role=properties.get("InvocationRole"),
            source_arn=properties.get("SourceArn"),
        )
        return Provisioned(
            name,
            {
                "TriggerName": name,
                "TriggerId": _generated_id(target, service, function, name),
                "ServiceName": service,
                "FunctionName": function,
            },
        )

    def delete(self, target: Target, resource: Provisioned, properties: Mapping[str, Any]) -> None:
        """DeleteTrigger."""
        fc = target.cloud.fc(target.region, target.account_id)
        fc.delete_trigger(
            str(properties["ServiceName"]), str(properties["FunctionName"]), resource.physical_id
        )

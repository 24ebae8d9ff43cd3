"""``ALIYUN::RAM::Role`` in the emulated RAM: the role and its inline ``Policies``.

Attributes as the vendor spec lists them (ros-cdk-ram: Arn, RoleId, RoleName); the physical id is
the role name (inferred).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Provisioned, Target, required


class RoleProvisioner:
    """RoleName, AssumeRolePolicyDocument, Description, MaxSessionDuration, Policies."""

    def create(self, target: Target, properties: Mapping[str, Any]) -> Provisioned:
        """CreateRole, then one inline policy per ``Policies`` item."""
        ram = target.cloud.ram(target.account_id)
        name = str(required(properties, "RoleName"))
        extra: dict[str, Any] = {}
        if "MaxSessionDuration" in properties:
            extra["max_session_duration"] = int(properties["MaxSessionDuration"])
        role = ram.create_role(
            name,
            required(properties, "AssumeRolePolicyDocument"),
            description=str(properties.get("Description", "")),
            **extra,
        )
        for policy in properties.get("Policies") or ():
            ram.put_role_policy(role.name, str(policy["PolicyName"]), policy["PolicyDocument"])
        return Provisioned(
            role.name, {"Arn": role.arn, "RoleId": role.role_id, "RoleName": role.name}
        )

    def delete(self, target: Target, resource: Provisioned, properties: Mapping[str, Any]) -> None:
        """DeleteRole (its inline policies go with it)."""
        target.cloud.ram(target.account_id).delete_role(resource.physical_id)

"""What a provisioner is: how one ROS resource type becomes the real thing in an emulated service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from vpndiag_emulator.core.cloud import Cloud


class ProvisionError(Exception):
    """The resource cannot be created or deleted; the message is the resource's StatusReason."""


@dataclass(frozen=True)
class Target:
    """Where the stack's resources go: its cloud, account and region, and its name."""

    cloud: Cloud
    account_id: str
    region: str
    stack_name: str


@dataclass(frozen=True)
class Provisioned:
    """A created resource: its physical id (what ``Ref`` returns) and its attributes
    (``Fn::GetAtt``; names as in the vendor spec's ``ResourceSpec.attributes``)."""

    physical_id: str
    attributes: Mapping[str, object]


class Provisioner(Protocol):
    """Creates and deletes one ROS resource type in the emulated services."""

    def create(self, target: Target, properties: Mapping[str, Any]) -> Provisioned:
        """Create the resource from its evaluated properties."""
        ...

    def delete(self, target: Target, resource: Provisioned, properties: Mapping[str, Any]) -> None:
        """Remove what ``create`` made."""
        ...


def required(properties: Mapping[str, Any], name: str) -> Any:
    """A property the provisioner needs (validation already refused templates lacking it)."""
    if name not in properties:
        raise ProvisionError(f"property {name} is required")
    return properties[name]

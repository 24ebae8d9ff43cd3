"""``ALIYUN::EventBridge::Rule`` in the emulated EventBridge.

Attributes as the vendor spec lists them (ros-cdk-eventbridge: EventBusName, RuleARN, RuleName).
The physical id is the rule name (inferred); RuleARN has EventBridge's
``acs:eventbridge:{region}:{account}:eventbus/{bus}/rule/{rule}`` form (inferred from the bus ARN
form the RAM policies use). Targets are passed on exactly as the template gives them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .base import Provisioned, ProvisionError, Target, required


def _pattern(value: object) -> Mapping[str, Any]:
    # The spec types FilterPattern as a map; a JSON text of one is accepted the same way.
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ProvisionError("FilterPattern is not a JSON object") from None
    if not isinstance(value, Mapping):
        raise ProvisionError("FilterPattern must be an object")
    return value


class RuleProvisioner:
    """EventBusName, RuleName, FilterPattern, Targets, Status, Description."""

    def create(self, target: Target, properties: Mapping[str, Any]) -> Provisioned:
        """CreateRule with its targets."""
        bus = str(required(properties, "EventBusName"))
        name = str(required(properties, "RuleName"))
        target.cloud.eventbridge(target.region, target.account_id).create_rule(
            bus,
            name,
            filter_pattern=_pattern(required(properties, "FilterPattern")),
            targets=list(properties.get("Targets") or ()),
            status=str(properties.get("Status", "ENABLE")),
            description=str(properties.get("Description", "")),
        )
        arn = f"acs:eventbridge:{target.region}:{target.account_id}:eventbus/{bus}/rule/{name}"
        return Provisioned(name, {"EventBusName": bus, "RuleName": name, "RuleARN": arn})

    def delete(self, target: Target, resource: Provisioned, properties: Mapping[str, Any]) -> None:
        """DeleteRule."""
        events = target.cloud.eventbridge(target.region, target.account_id)
        events.delete_rule(str(properties["EventBusName"]), resource.physical_id)

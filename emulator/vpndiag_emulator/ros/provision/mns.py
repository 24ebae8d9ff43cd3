"""``ALIYUN::MNS::Queue`` in the emulated MNS.

Attributes as the vendor spec lists them (ros-cdk-mns: QueueName, QueueUrl); the physical id is the
queue name (inferred). QueueUrl has MNS's endpoint form ``https://{account}.mns.{region}.aliyuncs.com``
(inferred from the MNS endpoint documentation's shape).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Provisioned, Target, required


class QueueProvisioner:
    """QueueName and the queue attributes (DelaySeconds, MaximumMessageSize, ...), kept as given."""

    def create(self, target: Target, properties: Mapping[str, Any]) -> Provisioned:
        """CreateQueue."""
        name = str(required(properties, "QueueName"))
        attributes = {key: value for key, value in properties.items() if key != "QueueName"}
        target.cloud.mns(target.region, target.account_id).create_queue(name, **attributes)
        url = f"https://{target.account_id}.mns.{target.region}.aliyuncs.com/queues/{name}"
        return Provisioned(name, {"QueueName": name, "QueueUrl": url})

    def delete(self, target: Target, resource: Provisioned, properties: Mapping[str, Any]) -> None:
        """DeleteQueue."""
        target.cloud.mns(target.region, target.account_id).delete_queue(resource.physical_id)

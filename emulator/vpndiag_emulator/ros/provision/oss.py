"""``ALIYUN::OSS::Bucket`` in the emulated OSS.

Attributes as the vendor spec lists them (ros-cdk-oss: Arn, DomainName, InternalDomainName, Name).
The physical id is the bucket name (inferred: ROS's Ref of a bucket is its name, which the
template's ``!Ref ArchiveStore`` relies on nowhere, so nothing here depends on the choice).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vpndiag_emulator.oss.errors import OssError

from .base import Provisioned, ProvisionError, Target, required


class BucketProvisioner:
    """BucketName, AccessControl, StorageClass, LifecycleConfiguration.Rule,
    ServerSideEncryptionConfiguration.SSEAlgorithm; the other properties are kept nowhere."""

    def create(self, target: Target, properties: Mapping[str, Any]) -> Provisioned:
        """Create the bucket, then its lifecycle rules and default encryption."""
        name = str(required(properties, "BucketName"))
        oss = target.cloud.oss(target.region, target.account_id)
        try:
            oss.bucket_info(name)
        except OssError:
            pass
        else:
            # OSS's CreateBucket error for a taken name (inferred for an own-account bucket).
            raise ProvisionError(f"BucketAlreadyExists: the bucket {name} already exists")
        oss.create_bucket(
            name,
            acl=str(properties.get("AccessControl", "private")),
            storage_class=str(properties.get("StorageClass", "Standard")),
        )
        lifecycle = properties.get("LifecycleConfiguration") or {}
        encryption = properties.get("ServerSideEncryptionConfiguration") or {}
        oss.configure_bucket(
            name,
            lifecycle_rules=tuple(dict(rule) for rule in lifecycle.get("Rule", ())),
            sse_algorithm=encryption.get("SSEAlgorithm"),
        )
        # Host names of the public and internal endpoints, as OSS names them per region.
        domain = f"{name}.oss-{target.region}.aliyuncs.com"
        return Provisioned(
            name,
            {
                "Name": name,
                "Arn": f"acs:oss:*:{target.account_id}:{name}",
                "DomainName": domain,
                "InternalDomainName": f"{name}.oss-{target.region}-internal.aliyuncs.com",
            },
        )

    def delete(self, target: Target, resource: Provisioned, properties: Mapping[str, Any]) -> None:
        """Delete the bucket (OSS refuses while it holds objects, and so the stack's delete)."""
        target.cloud.oss(target.region, target.account_id).delete_bucket(resource.physical_id)

"""Which provisioner creates each ROS resource type; a type not here fails its stack."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from . import eventbridge, fc, mns, oss, ram, sls
from .base import Provisioner

PROVISIONERS: Final[Mapping[str, Provisioner]] = {
    "ALIYUN::OSS::Bucket": oss.BucketProvisioner(),
    "ALIYUN::SLS::Project": sls.ProjectProvisioner(),
    "ALIYUN::SLS::Logstore": sls.LogstoreProvisioner(),
    "ALIYUN::SLS::Index": sls.IndexProvisioner(),
    "ALIYUN::SLS::Savedsearch": sls.savedsearch_provisioner(),
    "ALIYUN::SLS::Dashboard": sls.dashboard_provisioner(),
    "ALIYUN::SLS::Alert": sls.alert_provisioner(),
    "ALIYUN::RAM::Role": ram.RoleProvisioner(),
    "ALIYUN::MNS::Queue": mns.QueueProvisioner(),
    "ALIYUN::FC::Service": fc.ServiceProvisioner(),
    "ALIYUN::FC::Function": fc.FunctionProvisioner(),
    "ALIYUN::FC::Trigger": fc.TriggerProvisioner(),
    "ALIYUN::EventBridge::Rule": eventbridge.RuleProvisioner(),
}

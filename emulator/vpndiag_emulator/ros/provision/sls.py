"""``ALIYUN::SLS::Project``, ``Logstore``, ``Index``, ``Savedsearch``, ``Dashboard``, ``Alert``.

Attributes as the vendor spec lists them (ros-cdk-sls). Physical ids are the names (inferred). The
index is stored as the SLS API's index document (``line`` for FullTextIndex, ``keys`` for
KeyIndices), the form the SLS GetIndex answers with; saved searches, dashboards and alerts are kept
as their ROS properties (``Detail`` / ``Charts``), not evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Provisioned, Target, required


def _flag(value: object) -> bool:
    return value is True or str(value).lower() == "true"


class ProjectProvisioner:
    """Name, Description."""

    def create(self, target: Target, properties: Mapping[str, Any]) -> Provisioned:
        """CreateProject."""
        name = str(required(properties, "Name"))
        sls = target.cloud.sls(target.region, target.account_id)
        sls.create_project_once(name, str(properties.get("Description", "")))
        return Provisioned(name, {"Name": name})

    def delete(self, target: Target, resource: Provisioned, properties: Mapping[str, Any]) -> None:
        """DeleteProject."""
        target.cloud.sls(target.region, target.account_id).delete_project(resource.physical_id)


# ROS property -> the SLS CreateLogStore body field it sets.
_LOGSTORE_FIELDS = {
    "TTL": "ttl",
    "ShardCount": "shardCount",
    "AutoSplit": "autoSplit",
    "MaxSplitShard": "maxSplitShard",
    "AppendMeta": "appendMeta",
    "EnableTracking": "enable_tracking",
    "Mode": "mode",
}


class LogstoreProvisioner:
    """ProjectName, LogstoreName and the settings of ``_LOGSTORE_FIELDS``."""

    def create(self, target: Target, properties: Mapping[str, Any]) -> Provisioned:
        """CreateLogStore with the settings given."""
        project = str(required(properties, "ProjectName"))
        name = str(required(properties, "LogstoreName"))
        settings = {
            field: properties[prop]
            for prop, field in _LOGSTORE_FIELDS.items()
            if prop in properties
        }
        target.cloud.sls(target.region, target.account_id).create_logstore_once(
            project, name, settings
        )
        return Provisioned(name, {"LogstoreName": name, "ProjectName": project})

    def delete(self, target: Target, resource: Provisioned, properties: Mapping[str, Any]) -> None:
        """DeleteLogStore."""
        sls = target.cloud.sls(target.region, target.account_id)
        sls.delete_logstore(str(properties["ProjectName"]), resource.physical_id)


def index_document(properties: Mapping[str, Any]) -> dict[str, object]:
    """The SLS index document of ROS's FullTextIndex / KeyIndices."""
    document: dict[str, object] = {}
    full_text = properties.get("FullTextIndex") or {}
    if _flag(full_text.get("Enable", False)):
        line: dict[str, object] = {
            "caseSensitive": _flag(full_text.get("CaseSensitive", False)),
            "chn": _flag(full_text.get("IncludeChinese", False)),
        }
        if "Delimiter" in full_text:
            line["token"] = list(str(full_text["Delimiter"]))
        document["line"] = line
    keys: dict[str, object] = {}
    for key in properties.get("KeyIndices") or ():
        entry: dict[str, object] = {
            "type": key.get("Type", "text"),
            "doc_value": _flag(key.get("EnableAnalytics", True)),
        }
        if "CaseSensitive" in key:
            entry["caseSensitive"] = _flag(key["CaseSensitive"])
        if "Delimiter" in key:
            entry["token"] = list(str(key["Delimiter"]))
        if "Alias" in key:
            entry["alias"] = key["Alias"]
        keys[str(key["Name"])] = entry
    if keys:
        document["keys"] = keys
    if "LogReduce" in properties:
        document["log_reduce"] = _flag(properties["LogReduce"])
    return document


class IndexProvisioner:
    """ProjectName, LogstoreName, FullTextIndex, KeyIndices, LogReduce."""

    def create(self, target: Target, properties: Mapping[str, Any]) -> Provisioned:
        """CreateIndex with the document of ``index_document``."""
        project = str(required(properties, "ProjectName"))
        logstore = str(required(properties, "LogstoreName"))
        sls = target.cloud.sls(target.region, target.account_id)
        sls.set_index(project, logstore, index_document(properties), create=True)
        return Provisioned(logstore, {})

    def delete(self, target: Target, resource: Provisioned, properties: Mapping[str, Any]) -> None:
        """DeleteIndex."""
        sls = target.cloud.sls(target.region, target.account_id)
        sls.drop_index(str(properties["ProjectName"]), resource.physical_id)


class _StoredConfig:
    """A project's saved search, dashboard or alert, kept as its ROS properties."""

    def __init__(
        self, kind: str, project_key: str, name_path: tuple[str, ...], attributes: tuple[str, ...]
    ) -> None:
        self._kind = kind
        self._project_key = project_key
        self._name_path = name_path
        self._attributes = attributes

    def _name(self, properties: Mapping[str, Any]) -> str:
        value: Any = properties
        for key in self._name_path:
            value = required(value, key)
        return str(value)

    def create(self, target: Target, properties: Mapping[str, Any]) -> Provisioned:
        """Store the configuration under its project."""
        project = str(required(properties, self._project_key))
        name = self._name(properties)
        sls = target.cloud.sls(target.region, target.account_id)
        sls.create_config(project, self._kind, name, properties)
        values = {"SavedsearchName": name, "DashboardName": name, "Name": name}
        attributes: dict[str, object] = {a: values[a] for a in self._attributes if a in values}
        if "DisplayName" in self._attributes:
            attributes["DisplayName"] = properties.get("DisplayName", name)
        return Provisioned(name, attributes)

    def delete(self, target: Target, resource: Provisioned, properties: Mapping[str, Any]) -> None:
        """Remove the stored configuration."""
        sls = target.cloud.sls(target.region, target.account_id)
        sls.delete_config(str(properties[self._project_key]), self._kind, resource.physical_id)


def savedsearch_provisioner() -> _StoredConfig:
    """``ALIYUN::SLS::Savedsearch``: Project, Detail.SavedsearchName."""
    return _StoredConfig(
        "savedsearch", "Project", ("Detail", "SavedsearchName"), ("SavedsearchName",)
    )


def dashboard_provisioner() -> _StoredConfig:
    """``ALIYUN::SLS::Dashboard``: ProjectName, DashboardName."""
    return _StoredConfig(
        "dashboard", "ProjectName", ("DashboardName",), ("DashboardName", "DisplayName")
    )


def alert_provisioner() -> _StoredConfig:
    """``ALIYUN::SLS::Alert``: Project, Detail.Name."""
    return _StoredConfig("alert", "Project", ("Detail", "Name"), ("Name",))

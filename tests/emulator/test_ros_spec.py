"""The ROS resource specification read from the vendor's ros-cdk-* wheels.

The loader parses the generated JavaScript with regexes; these tests hold it to a second,
independent reading of the same tarballs: the jsii type assembly (``package/.jsii``, JSON), whose
``RosXProps`` interfaces list every property with its ``optional`` flag, whose ``RosX`` classes
carry an ``attrY`` property per attribute, and whose ``RosX.YProperty`` interfaces are the structs.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Mapping
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from vpndiag_emulator.ros.spec import (
    RESOURCE_PACKAGES,
    PropertySpec,
    SpecUnavailable,
    StructSpec,
    load_spec,
    read_package_sources,
)

_DOC_TYPE = re.compile(r"ROS (?:resource type|Datasource type) `([^`]+)`")


@cache
def _assembly(package: str) -> dict[str, Any]:
    """The package's jsii assembly, read straight from its installed tarball."""
    dist = metadata.distribution(package)
    tarball = next(f for f in dist.files or () if f.name.endswith(".jsii.tgz"))
    data = Path(str(dist.locate_file(tarball))).read_bytes()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        member = archive.extractfile("package/.jsii")
        assert member is not None
        loaded: dict[str, Any] = json.load(member)
    return loaded


def _jsii_classes(package: str) -> dict[str, dict[str, Any]]:
    """ROS type name -> its jsii class, for every class carrying ROS_RESOURCE_TYPE_NAME."""
    found = {}
    for jsii_type in _assembly(package)["types"].values():
        names = {p["name"] for p in jsii_type.get("properties", [])}
        if jsii_type["kind"] == "class" and "ROS_RESOURCE_TYPE_NAME" in names:
            match = _DOC_TYPE.search(json.dumps(jsii_type["docs"]))
            assert match, jsii_type["fqn"]
            found[match.group(1)] = jsii_type
    return found


def _jsii_properties(package: str, fqn: str) -> list[dict[str, Any]]:
    properties: list[dict[str, Any]] = _assembly(package)["types"][fqn].get("properties", [])
    return properties


def _structs(properties: Mapping[str, PropertySpec]) -> list[StructSpec]:
    """Every struct reachable from a resource's properties (through lists and maps too)."""
    found: list[StructSpec] = []
    for prop in properties.values():
        innermost = prop
        while innermost.item is not None:
            innermost = innermost.item
        if innermost.struct is not None:
            found.append(innermost.struct)
            found.extend(_structs(innermost.struct.properties))
    return found


@pytest.mark.parametrize("package", RESOURCE_PACKAGES)
def test_every_resource_type_of_each_package_is_found(package: str) -> None:
    """Each ROS_RESOURCE_TYPE_NAME assignment in the package's generated JS is a resource type."""
    version, sources = read_package_sources(package)
    assigned = {
        name
        for path, text in sources.items()
        if path.endswith(".generated.js")
        for name in re.findall(r'\.ROS_RESOURCE_TYPE_NAME = "([^"]+)";', text)
    }
    spec = load_spec()
    loaded = {t for t, r in spec.resources.items() if r.source == f"{package} {version}"}
    assert assigned
    assert loaded == assigned


@pytest.mark.parametrize("package", RESOURCE_PACKAGES)
def test_every_property_and_required_flag_matches_the_jsii_assembly(package: str) -> None:
    """Per resource type: as many properties as its RosXProps interface, the same ones required."""
    spec = load_spec()
    for type_name, jsii_class in _jsii_classes(package).items():
        jsii_props = _jsii_properties(package, jsii_class["fqn"] + "Props")
        resource = spec.resources[type_name]
        assert len(resource.properties) == len(jsii_props), type_name
        required = sum(1 for p in resource.properties.values() if p.required)
        assert required == sum(1 for p in jsii_props if not p.get("optional")), type_name


@pytest.mark.parametrize("package", RESOURCE_PACKAGES)
def test_every_struct_matches_its_jsii_interface(package: str) -> None:
    """Every nested struct has the properties and required flags of its RosX.YProperty interface."""
    spec = load_spec()
    for type_name, jsii_class in _jsii_classes(package).items():
        for struct in _structs(spec.resources[type_name].properties):
            fqn = f"{jsii_class['fqn']}.{struct.name.rpartition('.')[2]}Property"
            jsii_props = _jsii_properties(package, fqn)
            assert len(struct.properties) == len(jsii_props), struct.name
            required = sum(1 for p in struct.properties.values() if p.required)
            assert required == sum(1 for p in jsii_props if not p.get("optional")), struct.name


@pytest.mark.parametrize("package", RESOURCE_PACKAGES)
def test_every_attribute_matches_the_jsii_class(package: str) -> None:
    """Per resource type: one attribute per attrX property of its class.

    The jsii property drops what an identifier cannot hold (MNS's ``Arn.WithSlash`` is
    ``attrArnWithSlash``), so names compare without dots and case.
    """
    spec = load_spec()
    for type_name, jsii_class in _jsii_classes(package).items():
        attrs = [p["name"] for p in jsii_class["properties"] if p["name"].startswith("attr")]
        resource = spec.resources[type_name]
        assert {a.replace(".", "").lower() for a in resource.attributes} == {
            a[4:].lower() for a in attrs
        }


def test_fc_function_properties_are_the_mappers() -> None:
    """ALIYUN::FC::Function has the mapper's ROS names, kinds, required flags and bounds."""
    function = load_spec().resources["ALIYUN::FC::Function"]
    assert {"FunctionName", "Handler", "Runtime", "ServiceName", "Code", "CustomDNS"} <= set(
        function.properties
    )
    assert {n for n, p in function.properties.items() if p.required} == {
        "FunctionName",
        "Handler",
        "Runtime",
        "ServiceName",
    }
    timeout = function.properties["Timeout"]
    assert (timeout.kind, timeout.min_value, timeout.max_value) == ("number", 1, 86400)
    assert function.properties["DiskSize"].allowed_values == (512, 10240)
    assert function.properties["EnvironmentVariables"].kind == "map"
    retries = function.properties["AsyncConfiguration"].struct
    assert retries is not None
    assert retries.name == "ALIYUN::FC::Function.AsyncConfiguration"
    assert retries.properties["MaxAsyncRetryAttempts"].max_value == 8


def test_fc_function_attributes() -> None:
    """ALIYUN::FC::Function's attributes are the getAtt names, ARN in capitals."""
    function = load_spec().resources["ALIYUN::FC::Function"]
    assert function.attributes == {"ARN", "FunctionId", "FunctionName", "ServiceId", "ServiceName"}
    assert function.source.startswith("ros-cdk-fc ")


def test_eventbridge_rule_param_list_requires_value() -> None:
    """Rule.Targets[].ParamList[] items require ResourceKey, Form and Value."""
    targets = load_spec().resources["ALIYUN::EventBridge::Rule"].properties["Targets"]
    assert targets.kind == "list"
    assert targets.item is not None
    assert targets.item.struct is not None
    param_list = targets.item.struct.properties["ParamList"]
    assert param_list.item is not None
    assert param_list.item.struct is not None
    items = param_list.item.struct.properties
    assert {n for n, p in items.items() if p.required} == {"ResourceKey", "Form", "Value"}


def test_sls_alert_configuration_requires_dashboard() -> None:
    """ALIYUN::SLS::Alert Detail.Configuration.Dashboard is required."""
    detail = load_spec().resources["ALIYUN::SLS::Alert"].properties["Detail"].struct
    assert detail is not None
    configuration = detail.properties["Configuration"].struct
    assert configuration is not None
    assert configuration.properties["Dashboard"].required


def test_no_eventbridge_event_bus_type() -> None:
    """ROS has no ALIYUN::EventBridge::EventBus: only ApiDestination, Connection and Rule."""
    types = {t for t in load_spec().resources if t.startswith("ALIYUN::EventBridge::")}
    assert types == {
        "ALIYUN::EventBridge::ApiDestination",
        "ALIYUN::EventBridge::Connection",
        "ALIYUN::EventBridge::Rule",
    }


def test_pseudo_parameters() -> None:
    """ros-cdk-core's RosPseudo defines seven pseudo parameters."""
    assert load_spec().pseudo_parameters == {
        "ALIYUN::AccountId",
        "ALIYUN::Index",
        "ALIYUN::NoValue",
        "ALIYUN::Region",
        "ALIYUN::StackId",
        "ALIYUN::StackName",
        "ALIYUN::TenantId",
    }


def test_functions_are_the_live_ones_of_ros_fn() -> None:
    """Ref and the Fn::* of ros-fn.js, without the commented-out Fn::EachMemberEquals."""
    functions = load_spec().functions
    assert {"Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::If", "Fn::Base64Encode"} <= functions
    assert "Fn::EachMemberEquals" not in functions
    assert all(f == "Ref" or f.startswith("Fn::") for f in functions)


def test_load_spec_is_cached() -> None:
    """The spec is parsed once per process."""
    assert load_spec() is load_spec()


def test_missing_package_names_it() -> None:
    """A package that is not installed raises SpecUnavailable naming it."""
    with pytest.raises(SpecUnavailable, match="ros-cdk-nosuchthing is not installed"):
        read_package_sources("ros-cdk-nosuchthing")

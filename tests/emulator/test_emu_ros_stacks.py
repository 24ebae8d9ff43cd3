"""The emulated ROS: stack lifecycle, refusals, intrinsics, parameters, order, rollback, delete.

Calls go through the official ROS SDK (``alibabacloud_ros20190910``) to the loopback server, so
each test also holds the wire names to the vendor's models. Status names and flow: GetStack's
``Status`` field docs in the SDK model; error codes: the API reference's error tables
(CreateStack: ``StackExists`` 409, ``StackValidationFailed``; GetStack: ``StackNotFound`` 404).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from alibabacloud_ros20190910 import models as ros_models
from alibabacloud_ros20190910.client import Client
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException

from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    Cloud,
    LoopbackServer,
    ManualClock,
)

REGION = "cn-hangzhou"


@pytest.fixture
def cloud() -> Cloud:
    """A seeded cloud on a manual clock that starts at real time (the SDK signs with it)."""
    return Cloud(seed=5, clock=ManualClock())


@pytest.fixture
def ros(cloud: Cloud) -> Iterator[Client]:
    """The official ROS client pointed at the loopback server."""
    with cloud.serve() as server:
        yield _client(server)


def _client(server: LoopbackServer) -> Client:
    config = open_api_models.Config(
        access_key_id=DEFAULT_ACCESS_KEY_ID,
        access_key_secret=DEFAULT_ACCESS_KEY_SECRET,
        endpoint=f"127.0.0.1:{server.port}",
        protocol="http",
        region_id=REGION,
    )
    return Client(config)


def _template(resources: dict[str, Any], **sections: Any) -> str:
    return json.dumps(
        {"ROSTemplateFormatVersion": "2015-09-01", "Resources": resources, **sections}
    )


def _create(ros: Client, body: str, name: str = "demo", **params: str) -> str:
    request = ros_models.CreateStackRequest(
        region_id=REGION,
        stack_name=name,
        template_body=body,
        parameters=[
            ros_models.CreateStackRequestParameters(parameter_key=k, parameter_value=v)
            for k, v in params.items()
        ],
    )
    return str(ros.create_stack(request).body.stack_id)


def _stack(ros: Client, stack_id: str) -> ros_models.GetStackResponseBody:
    request = ros_models.GetStackRequest(region_id=REGION, stack_id=stack_id)
    return ros.get_stack(request).body


def _events(ros: Client, stack_id: str) -> list[tuple[str, str]]:
    request = ros_models.ListStackEventsRequest(region_id=REGION, stack_id=stack_id, page_size=50)
    events = ros.list_stack_events(request).body.events
    return [(e.logical_resource_id, e.status) for e in reversed(events)]


def _error(call: Any) -> ClientException:
    with pytest.raises(ClientException) as caught:
        call()
    return caught.value


PROJECT = {"Type": "ALIYUN::SLS::Project", "Properties": {"Name": "logs-demo"}}
STORE = {
    "Type": "ALIYUN::SLS::Logstore",
    "Properties": {"ProjectName": {"Ref": "Project"}, "LogstoreName": "records", "TTL": 30},
}
BUCKET = {"Type": "ALIYUN::OSS::Bucket", "Properties": {"BucketName": "bucket-demo"}}


def test_create_stack_completes_and_creates_the_resources(ros: Client, cloud: Cloud) -> None:
    """CreateStack returns a StackId; GetStack then reads CREATE_COMPLETE and the resources exist."""
    stack_id = _create(ros, _template({"Bucket": BUCKET, "Project": PROJECT, "Store": STORE}))

    stack = _stack(ros, stack_id)

    assert (stack.status, stack.stack_name) == ("CREATE_COMPLETE", "demo")
    assert cloud.oss(REGION).bucket_info("bucket-demo").acl == "private"
    assert cloud.sls(REGION).logstore_settings("logs-demo", "records") == {"ttl": 30}


def test_resources_follow_dependency_order(ros: Client) -> None:
    """A resource that references another (Ref) is created after it, whatever the template order."""
    stack_id = _create(ros, _template({"Store": STORE, "Project": PROJECT}))

    completed = [lid for lid, status in _events(ros, stack_id) if status == "CREATE_COMPLETE"]

    assert completed == ["Project", "Store", "demo"]


def test_same_name_is_refused_with_stack_exists(ros: Client) -> None:
    """A second live stack of the same name: 409 StackExists (CreateStack's error table)."""
    _create(ros, _template({"Project": PROJECT}))

    error = _error(lambda: _create(ros, _template({"Project": PROJECT})))

    assert (error.code, error.status_code) == ("StackExists", 409)


def test_unknown_stack_is_stack_not_found(ros: Client) -> None:
    """GetStack of an unknown id: 404 StackNotFound (GetStack's error table)."""
    error = _error(lambda: _stack(ros, "4a6c9851-3b0f-4f5f-b4ca-a14bf6910000"))

    assert (error.code, error.status_code) == ("StackNotFound", 404)


@pytest.mark.parametrize(
    ("resource", "fragment"),
    [
        (
            {"Type": "ALIYUN::OSS::Bukket", "Properties": {"BucketName": "b-demo"}},
            "ALIYUN::OSS::Bukket",
        ),
        (
            {"Type": "ALIYUN::OSS::Bucket", "Properties": {"BucketName": "b-demo", "Colour": 1}},
            "Colour",
        ),
        ({"Type": "ALIYUN::SLS::Logstore", "Properties": {"LogstoreName": "x-y"}}, "ProjectName"),
        (
            {"Type": "ALIYUN::OSS::Bucket", "Properties": {"BucketName": {"Ref": "Nowhere"}}},
            "Nowhere",
        ),
    ],
    ids=["unknown-type", "unknown-property", "missing-required", "bad-reference"],
)
def test_invalid_templates_are_refused_before_anything_is_created(
    ros: Client, cloud: Cloud, resource: dict[str, Any], fragment: str
) -> None:
    """ROS refuses an invalid template at CreateStack (400, validator's code) and creates nothing."""
    error = _error(lambda: _create(ros, _template({"Thing": resource})))

    assert error.status_code == 400
    assert fragment in str(error.message)
    assert cloud.ros(REGION).stacks() == []


def test_intrinsics_and_parameters_resolve(ros: Client, cloud: Cloud) -> None:
    """Parameters (given and Default), pseudo parameters, Fn::Sub/Join/Select/Split/If reach the
    created resource and the Outputs."""
    body = _template(
        {
            "Project": {
                "Type": "ALIYUN::SLS::Project",
                "Properties": {
                    "Name": {
                        "Fn::Join": [
                            "-",
                            [
                                {"Ref": "Prefix"},
                                {"Fn::Select": [1, {"Fn::Split": [",", "a,logs"]}]},
                            ],
                        ]
                    },
                    "Description": {
                        "Fn::If": [
                            "Long",
                            {"Fn::Sub": "${ALIYUN::StackName} in ${ALIYUN::Region}"},
                            "short",
                        ]
                    },
                },
            }
        },
        Parameters={
            "Prefix": {"Type": "String"},
            "Days": {"Type": "Number", "Default": 7},
            "Secret": {"Type": "String", "Default": "s3cr3t", "NoEcho": True},
        },
        Conditions={"Long": {"Fn::Equals": [{"Ref": "Days"}, 7]}},
        Outputs={"Name": {"Value": {"Fn::GetAtt": ["Project", "Name"]}}},
    )

    stack = _stack(ros, _create(ros, body, Prefix="vpn"))

    assert cloud.sls(REGION).project_description("vpn-logs") == "demo in cn-hangzhou"
    assert stack.outputs == [{"OutputKey": "Name", "OutputValue": "vpn-logs"}]
    shown = {p.parameter_key: p.parameter_value for p in stack.parameters}
    assert (shown["Days"], shown["Secret"]) == ("7", "****")


def test_parameter_outside_its_constraint_is_refused(ros: Client) -> None:
    """A value outside AllowedValues fails validation (StackValidationFailed, naming the parameter)."""
    body = _template(
        {"Project": PROJECT}, Parameters={"Env": {"Type": "String", "AllowedValues": ["a", "b"]}}
    )

    error = _error(lambda: _create(ros, body, Env="c"))

    assert error.code == "StackValidationFailed"
    assert "Env" in str(error.message)


def test_failure_names_the_resource_and_rolls_back(ros: Client, cloud: Cloud) -> None:
    """A resource the service refuses fails the stack (StatusReason names it and the reason), and
    the rollback deletes what was created before it: ROLLBACK_COMPLETE."""
    cloud.sls(REGION).create_project_once("taken-project")
    body = _template(
        {
            "Bucket": BUCKET,
            "Project": {**PROJECT, "Properties": {"Name": "taken-project"}, "DependsOn": "Bucket"},
        }
    )

    stack_id = _create(ros, body)
    stack = _stack(ros, stack_id)

    assert stack.status == "ROLLBACK_COMPLETE"
    assert ("Project", "CREATE_FAILED") in _events(ros, stack_id)
    assert ("Bucket", "DELETE_COMPLETE") in _events(ros, stack_id)
    failed = [e for e in _events(ros, stack_id) if e == ("demo", "CREATE_FAILED")]
    assert failed
    assert _bucket_names(cloud) == []


def _bucket_names(cloud: Cloud) -> list[str]:
    oss = cloud.oss(REGION)
    names = []
    for name in ("bucket-demo",):
        try:
            oss.bucket_info(name)
        except Exception:
            continue
        names.append(name)
    return names


def test_failure_reason_is_in_status_reason(ros: Client, cloud: Cloud) -> None:
    """StatusReason of the failed stack names the failing resource and the service's error code."""
    cloud.sls(REGION).create_project_once("taken-project")
    stack_id = _create(
        ros, _template({"Project": {**PROJECT, "Properties": {"Name": "taken-project"}}})
    )

    request = ros_models.ListStackEventsRequest(
        region_id=REGION, stack_id=stack_id, status=["CREATE_FAILED"]
    )
    reasons = [e.status_reason for e in ros.list_stack_events(request).body.events]

    assert any("Project" in r and "ProjectAlreadyExist" in r for r in reasons)


def test_disable_rollback_keeps_created_resources(ros: Client, cloud: Cloud) -> None:
    """With DisableRollback the stack stays CREATE_FAILED and what was created stays."""
    cloud.sls(REGION).create_project_once("taken-project")
    body = _template(
        {
            "Bucket": BUCKET,
            "Project": {**PROJECT, "Properties": {"Name": "taken-project"}, "DependsOn": "Bucket"},
        }
    )
    request = ros_models.CreateStackRequest(
        region_id=REGION, stack_name="kept", template_body=body, disable_rollback=True
    )

    stack = _stack(ros, str(ros.create_stack(request).body.stack_id))

    assert stack.status == "CREATE_FAILED"
    assert _bucket_names(cloud) == ["bucket-demo"]


def test_type_without_provisioner_fails_with_a_clear_reason(ros: Client) -> None:
    """A valid ROS type the emulator cannot create fails the stack saying so."""
    body = _template(
        {"Topic": {"Type": "ALIYUN::MNS::Topic", "Properties": {"TopicName": "t-demo"}}}
    )

    stack = _stack(ros, _create(ros, body))

    assert stack.status == "ROLLBACK_COMPLETE"
    request = ros_models.ListStackEventsRequest(
        region_id=REGION, stack_id=stack.stack_id, status=["CREATE_FAILED"]
    )
    reasons = [e.status_reason for e in ros.list_stack_events(request).body.events]
    assert any("cannot create ALIYUN::MNS::Topic" in r for r in reasons)


def test_delete_stack_removes_resources_in_reverse_order(ros: Client, cloud: Cloud) -> None:
    """DeleteStack deletes the logstore before its project and ends DELETE_COMPLETE."""
    stack_id = _create(ros, _template({"Project": PROJECT, "Store": STORE}))

    ros.delete_stack(ros_models.DeleteStackRequest(region_id=REGION, stack_id=stack_id))

    deleted = [lid for lid, status in _events(ros, stack_id) if status == "DELETE_COMPLETE"]
    assert deleted == ["Store", "Project", "demo"]
    assert _stack(ros, stack_id).status == "DELETE_COMPLETE"
    cloud.sls(REGION).create_project_once("logs-demo")  # ProjectAlreadyExist if still there


def test_update_stack_adds_and_removes_resources(ros: Client, cloud: Cloud) -> None:
    """UpdateStack creates what the new template adds and deletes what it drops."""
    stack_id = _create(ros, _template({"Bucket": BUCKET}))
    request = ros_models.UpdateStackRequest(
        region_id=REGION, stack_id=stack_id, template_body=_template({"Project": PROJECT})
    )

    ros.update_stack(request)

    assert _stack(ros, stack_id).status == "UPDATE_COMPLETE"
    assert _bucket_names(cloud) == []
    assert cloud.sls(REGION).project_description("logs-demo") == ""

"""Interop: the official ROS SDK (``alibabacloud-ros20190910``) against the emulated ROS.

The SDK signs (V3) and parses with the vendor's own models: ValidateTemplate, CreateStack, polling
GetStack to CREATE_COMPLETE, Outputs, ListStackEvents, ListStackResources, GetStackResource,
DeleteStack. The last test deploys the project's real ``template.yml`` into the emulated cloud.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from alibabacloud_ros20190910 import models as ros_models
from alibabacloud_ros20190910.client import Client
from alibabacloud_tea_openapi import models as open_api_models

from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    Cloud,
    ManualClock,
)

REGION = "cn-hangzhou"
TEMPLATE = Path(__file__).resolve().parents[2] / "template.yml"

SMALL = json.dumps(
    {
        "ROSTemplateFormatVersion": "2015-09-01",
        "Description": "interop",
        "Parameters": {"Name": {"Type": "String", "Default": "interop-logs"}},
        "Resources": {
            "Project": {"Type": "ALIYUN::SLS::Project", "Properties": {"Name": {"Ref": "Name"}}},
            "Store": {
                "Type": "ALIYUN::SLS::Logstore",
                "Properties": {"ProjectName": {"Ref": "Project"}, "LogstoreName": "records"},
            },
        },
        "Outputs": {"Store": {"Value": {"Fn::GetAtt": ["Store", "LogstoreName"]}}},
    }
)


@pytest.fixture
def cloud() -> Cloud:
    """A seeded cloud on a manual clock that starts at real time (the SDK signs with it)."""
    return Cloud(seed=3, clock=ManualClock())


@pytest.fixture
def ros(cloud: Cloud) -> Iterator[Client]:
    """The official client, pointed at the loopback server over plain http."""
    with cloud.serve() as server:
        config = open_api_models.Config(
            access_key_id=DEFAULT_ACCESS_KEY_ID,
            access_key_secret=DEFAULT_ACCESS_KEY_SECRET,
            endpoint=f"127.0.0.1:{server.port}",
            protocol="http",
            region_id=REGION,
        )
        yield Client(config)


def _wait(ros: Client, stack_id: str) -> ros_models.GetStackResponseBody:
    """Poll GetStack until the stack leaves *_IN_PROGRESS, as a deploy tool does."""
    for _ in range(50):
        body = ros.get_stack(ros_models.GetStackRequest(region_id=REGION, stack_id=stack_id)).body
        if not str(body.status).endswith("_IN_PROGRESS"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"stack {stack_id} still {body.status}")


def _create(ros: Client, body: str, parameters: dict[str, str] | None = None) -> str:
    request = ros_models.CreateStackRequest(
        region_id=REGION,
        stack_name="vpndiag",
        template_body=body,
        timeout_in_minutes=30,
        parameters=[
            ros_models.CreateStackRequestParameters(parameter_key=k, parameter_value=v)
            for k, v in (parameters or {}).items()
        ],
    )
    return str(ros.create_stack(request).body.stack_id)


def test_sdk_validates_a_template(ros: Client) -> None:
    """ValidateTemplate answers the template's Description, Parameters and resource types."""
    request = ros_models.ValidateTemplateRequest(region_id=REGION, template_body=SMALL)

    body = ros.validate_template(request).body

    assert body.description == "interop"
    assert [p["ParameterKey"] for p in body.parameters] == ["Name"]
    assert body.resource_types.resources == ["ALIYUN::SLS::Logstore", "ALIYUN::SLS::Project"]


def test_sdk_creates_polls_and_reads_outputs(ros: Client) -> None:
    """CreateStack, then GetStack polled to CREATE_COMPLETE, with the Outputs evaluated."""
    stack = _wait(ros, _create(ros, SMALL))

    assert stack.status == "CREATE_COMPLETE"
    assert stack.outputs == [{"OutputKey": "Store", "OutputValue": "records"}]


def test_sdk_lists_events_and_resources(ros: Client) -> None:
    """ListStackEvents and ListStackResources parse into the SDK's models."""
    stack_id = _create(ros, SMALL)

    events = ros.list_stack_events(
        ros_models.ListStackEventsRequest(region_id=REGION, stack_id=stack_id)
    ).body
    resources = ros.list_stack_resources(
        ros_models.ListStackResourcesRequest(region_id=REGION, stack_id=stack_id)
    ).body.resources

    assert events.events[0].status == "CREATE_COMPLETE"
    assert [(r.logical_resource_id, r.physical_resource_id) for r in resources] == [
        ("Project", "interop-logs"),
        ("Store", "records"),
    ]


def test_sdk_reads_resource_attributes(ros: Client) -> None:
    """GetStackResource with ShowResourceAttributes lists the resource's attributes."""
    stack_id = _create(ros, SMALL)
    request = ros_models.GetStackResourceRequest(
        region_id=REGION,
        stack_id=stack_id,
        logical_resource_id="Store",
        show_resource_attributes=True,
    )

    body = ros.get_stack_resource(request).body

    assert {"Key": "ProjectName", "Value": "interop-logs"} in body.resource_attributes


def test_sdk_deletes_the_stack(ros: Client, cloud: Cloud) -> None:
    """DeleteStack, then GetStack reads DELETE_COMPLETE and the project is gone."""
    stack_id = _create(ros, SMALL)

    ros.delete_stack(ros_models.DeleteStackRequest(region_id=REGION, stack_id=stack_id))

    assert _wait(ros, stack_id).status == "DELETE_COMPLETE"
    cloud.sls(REGION).create_project_once("interop-logs")  # ProjectAlreadyExist if still there


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "index.py",
            "def initializer(context):\n    pass\n\n"
            "def handler(event, context):\n    return 'ok'\n",
        )
    return buffer.getvalue()


def test_real_template_deploys_into_the_emulated_cloud(ros: Client, cloud: Cloud) -> None:
    """``template.yml`` deploys: bucket, log project, logstores and index, queue, role, FC
    service, functions and timers, and the EventBridge rules all exist afterwards. The code zips
    are put into the emulated OSS first and the custom bus created, as ``vpndiag deploy`` does."""
    oss = cloud.oss(REGION)
    oss.create_bucket("vpndiag-code")
    for name in ("archive.zip", "sweep.zip", "report.zip"):
        oss.put_object("vpndiag-code", name, _zip(), content_type="application/zip", metadata={})
    cloud.eventbridge(REGION).create_bus("vpndiag")
    parameters = {
        "CodeBucket": "vpndiag-code",
        "ArchiveCodeObject": "archive.zip",
        "SweepCodeObject": "sweep.zip",
        "ReportCodeObject": "report.zip",
        "ArchiveBucket": "vpndiag-archive",
    }

    stack = _wait(ros, _create(ros, TEMPLATE.read_text(encoding="utf-8"), parameters))

    assert (stack.status, stack.status_reason) == (
        "CREATE_COMPLETE",
        "Stack CREATE completed successfully",
    )
    assert oss.bucket_info("vpndiag-archive").sse_algorithm == "AES256"
    sls = cloud.sls(REGION)
    index = sls.index("vpndiag-logs", "diagnoses")
    assert index is not None
    assert "diagnose_id" in index["keys"]  # type: ignore[operator]
    assert sls.logstore_settings("vpndiag-logs", "function-logs")["ttl"] == 30
    assert cloud.mns(REGION).queue("vpndiag-dead-letters") is not None
    assert cloud.ram().role("vpndiag-vpndiag") is not None
    fc = cloud.fc(REGION)
    assert {f for f in ("archive", "sweep", "report") if fc.function("vpndiag", f)} == {
        "archive",
        "sweep",
        "report",
    }
    resources = ros.list_stack_resources(
        ros_models.ListStackResourcesRequest(region_id=REGION, stack_id=stack.stack_id)
    ).body.resources
    types = {r.resource_type for r in resources}
    assert {"ALIYUN::FC::Trigger", "ALIYUN::EventBridge::Rule"} <= types

"""vpndiag deploy's orchestration against a scripted cloud (``responses``): code, bus, stack.

The scripted answers follow the vendor's shapes: ROS's from the official SDK models
(``alibabacloud_ros20190910``: StackId, Status, StatusReason, Outputs, Events), OSS's
NoSuchBucket/GetBucketInfo/PutBucket from the OSS API reference, EventBridge's ``EventBusNotExist``
answered in a 200 body with ``Success: false`` (as the terraform provider reads GetEventBus).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from tests.conftest import ROOT
from vpndiag import errors
from vpndiag.clients.oss import OssEndpoints
from vpndiag.credentials import Credentials
from vpndiag.deploy import code
from vpndiag.deploy.run import Deployer, DeployFailed, Deployment, Target
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session

REGION = "cn-hangzhou"
SECRET = "deploy-secret-never-shown"
KEYS = Credentials("LTAIdeployTest", SECRET)
TEMPLATE = (ROOT / "template.yml").read_text()
EVENTS = [
    {"EventId": "1", "LogicalResourceId": "vpndiag", "ResourceType": "ALIYUN::ROS::Stack",
     "Status": "CREATE_IN_PROGRESS", "StatusReason": "", "CreateTime": "2026-12-04T23:00:00"},
    {"EventId": "2", "LogicalResourceId": "ArchiveStore", "ResourceType": "ALIYUN::OSS::Bucket",
     "Status": "CREATE_COMPLETE", "StatusReason": "", "CreateTime": "2026-12-04T23:00:05"},
]  # fmt: skip


class FakeCloud:
    """ROS, EventBridge's control plane and OSS, as much as a deployment touches."""

    def __init__(self) -> None:
        self.buckets: set[str] = set()
        self.objects: dict[str, bytes] = {}
        self.buses: set[str] = set()
        self.stack: dict[str, Any] | None = None
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.final_status = "CREATE_COMPLETE"
        self.final_events: list[dict[str, str]] = []
        self.polls_in_progress = 1

    def _json(self, body: dict[str, Any], status: int = 200) -> tuple[int, dict[str, str], str]:
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    def rpc(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        action = request.headers["x-acs-action"]
        query = dict(parse_qsl(urlsplit(request.url or "").query))
        body = request.body
        form = dict(parse_qsl(body.decode() if isinstance(body, bytes) else body or ""))
        self.calls.append((action, {**query, **form}))
        answer: tuple[int, dict[str, str], str] = getattr(self, action)(query)
        return answer

    def GetEventBus(self, query: dict[str, str]) -> Any:
        if query["EventBusName"] in self.buses:
            return self._json({"Success": True, "Code": "Success", "Data": {}})
        return self._json({"Success": False, "Code": "EventBusNotExist", "Message": "no bus"})

    def CreateEventBus(self, query: dict[str, str]) -> Any:
        self.buses.add(query["EventBusName"])
        return self._json({"Success": True, "Code": "Success", "Data": {"EventBusARN": "arn"}})

    def ListStacks(self, query: dict[str, str]) -> Any:
        stacks = [self.stack] if self.stack else []
        return self._json({"RequestId": "r", "Stacks": stacks, "TotalCount": len(stacks)})

    def CreateStack(self, query: dict[str, str]) -> Any:
        self.stack = {"StackId": "stack-1", "StackName": query["StackName"],
                      "Status": "CREATE_IN_PROGRESS"}  # fmt: skip
        return self._json({"RequestId": "r", "StackId": "stack-1"})

    def UpdateStack(self, query: dict[str, str]) -> Any:
        assert self.stack is not None
        self.stack["Status"] = "UPDATE_IN_PROGRESS"
        self.final_status = "UPDATE_COMPLETE"
        return self._json({"RequestId": "r", "StackId": query["StackId"]})

    def GetStack(self, query: dict[str, str]) -> Any:
        assert self.stack is not None
        if self.polls_in_progress:
            self.polls_in_progress -= 1
        else:
            self.stack["Status"] = self.final_status
            self.stack["StatusReason"] = f"Stack {self.final_status}"
            self.stack["Outputs"] = [{"OutputKey": "DailyReports", "OutputValue": "oss://a/r/"}]
        return self._json({"RequestId": "r", **self.stack})

    def ListStackEvents(self, query: dict[str, str]) -> Any:
        done = self.stack is not None and not self.stack["Status"].endswith("_IN_PROGRESS")
        events = EVENTS + (self.final_events if done else [])
        return self._json({"RequestId": "r", "Events": events, "TotalCount": len(events)})

    def oss(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        url = urlsplit(request.url or "")
        bucket = url.netloc.split(".", 1)[0]
        ids = {"x-oss-request-id": "oss-r"}
        missing = "<Error><Code>{}</Code><Message>m</Message></Error>"
        if url.path == "/":
            if request.method == "PUT":
                self.buckets.add(bucket)
                return 200, ids, ""
            if bucket in self.buckets:
                return 200, ids, "<BucketInfo/>"
            return 404, ids, missing.format("NoSuchBucket")
        key = f"{bucket}{url.path}"
        if request.method == "PUT":
            body = request.body
            self.objects[key] = body if isinstance(body, bytes) else (body or "").encode()
            return 200, {**ids, "ETag": '"e"'}, ""
        if key in self.objects:
            return 200, {**ids, "Content-Length": str(len(self.objects[key]))}, ""
        return 404, ids, ""

    def actions(self) -> list[str]:
        return [a for a, _ in self.calls]


@pytest.fixture
def cloud() -> Iterator[FakeCloud]:
    fake = FakeCloud()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in ("GET", "PUT", "HEAD", "POST"):
            mock.add_callback(
                method, re.compile(r"https://[a-z0-9-]+\.oss-cn-hangzhou\.aliyuncs\.com/.*"),
                callback=fake.oss,
            )  # fmt: skip
        for host in ("ros.aliyuncs.com", f"eventbridge.{REGION}.aliyuncs.com"):
            mock.add_callback(
                "POST", re.compile(rf"https://{re.escape(host)}/.*"), callback=fake.rpc
            )
        yield fake


@pytest.fixture
def packages(tmp_path: Path) -> dict[str, Path]:
    found = {}
    for function in ("archive", "sweep", "report"):
        found[function] = tmp_path / f"{function}.zip"
        found[function].write_bytes(f"zip of {function}".encode())
    return found


def _deploy(packages: dict[str, Path], **parameters: str) -> tuple[list[str], Any]:
    lines: list[str] = []
    target = Target(
        region=REGION,
        credentials=lambda: KEYS,
        ros_endpoint="https://ros.aliyuncs.com",
        eventbridge_endpoint=f"https://eventbridge.{REGION}.aliyuncs.com",
        oss=OssEndpoints(),
        session=new_session(),
        retry=RetryPolicy(attempts=1),
    )
    deployment = Deployment(
        stack_name="vpndiag",
        code_bucket="my-code",
        template=TEMPLATE,
        packages=packages,
        parameters={"ArchiveBucket": "my-archive", **parameters},
        poll_interval=0,
    )
    stack = Deployer(target, out=lines.append, sleep=lambda s: None).run(deployment)
    return lines, stack


def test_a_first_deployment_makes_the_bucket_the_bus_and_the_stack(
    cloud: FakeCloud, packages: dict[str, Path]
) -> None:
    """Bucket and bus are created because they are missing; then CreateStack, followed to
    CREATE_COMPLETE."""
    _, stack = _deploy(packages)

    assert (cloud.buckets, cloud.buses, stack.status) == (
        {"my-code"},
        {"vpndiag"},
        "CREATE_COMPLETE",
    )
    assert "CreateStack" in cloud.actions()
    assert "UpdateStack" not in cloud.actions()


def test_the_stack_gets_the_uploaded_objects_as_parameters(
    cloud: FakeCloud, packages: dict[str, Path]
) -> None:
    """CreateStack names the code bucket and each function's content-addressed object, which is
    the object uploaded."""
    _deploy(packages)
    (create,) = [q for a, q in cloud.calls if a == "CreateStack"]
    count = len([k for k in create if k.endswith(".ParameterKey")])
    given = {
        create[f"Parameters.{n}.ParameterKey"]: create[f"Parameters.{n}.ParameterValue"]
        for n in range(1, count + 1)
    }

    assert given["CodeBucket"] == "my-code"
    assert given["ArchiveCodeObject"] == code.object_name("archive", b"zip of archive")
    assert cloud.objects[f"my-code/{given['SweepCodeObject']}"] == b"zip of sweep"
    assert create["TemplateBody"] == TEMPLATE


def test_progress_is_one_line_per_new_event_then_the_outputs(
    cloud: FakeCloud, packages: dict[str, Path]
) -> None:
    """Events polled twice are printed once each; the outputs close the run."""
    lines, _ = _deploy(packages)
    event_lines = [line for line in lines if "ALIYUN::" in line]

    assert len(event_lines) == len(EVENTS)
    assert lines[-2:] == ["stack vpndiag: CREATE_COMPLETE", "  DailyReports = oss://a/r/"]


def test_an_existing_stack_is_updated(cloud: FakeCloud, packages: dict[str, Path]) -> None:
    """A second deployment finds the stack by name and updates it by id."""
    cloud.stack = {"StackId": "stack-1", "StackName": "vpndiag", "Status": "CREATE_COMPLETE"}
    _, stack = _deploy(packages)
    (update,) = [q for a, q in cloud.calls if a == "UpdateStack"]

    assert (update["StackId"], stack.status) == ("stack-1", "UPDATE_COMPLETE")
    assert "CreateStack" not in cloud.actions()


def test_unchanged_packages_are_not_sent_again(cloud: FakeCloud, packages: dict[str, Path]) -> None:
    """Identical zips keep their names: the second run uploads nothing."""
    _deploy(packages)
    cloud.stack = {"StackId": "stack-1", "StackName": "vpndiag", "Status": "CREATE_COMPLETE"}
    lines, _ = _deploy(packages)

    assert [line for line in lines if line.endswith("unchanged)")]
    assert not [line for line in lines if line.endswith("uploaded)")]


def test_a_failed_stack_reports_its_own_reasons(
    cloud: FakeCloud, packages: dict[str, Path]
) -> None:
    """A stack ending ROLLBACK_COMPLETE fails the deployment with the failed resources'
    StatusReason."""
    cloud.final_status = "ROLLBACK_COMPLETE"
    cloud.final_events = [
        {"EventId": "9", "LogicalResourceId": "ArchiveStore", "ResourceType": "ALIYUN::OSS::Bucket",
         "Status": "CREATE_FAILED", "StatusReason": "BucketAlreadyExists: taken",
         "CreateTime": "2026-12-04T23:00:09"},
    ]  # fmt: skip
    with pytest.raises(DeployFailed) as failed:
        _deploy(packages)

    assert failed.value.reasons == (
        "ArchiveStore (ALIYUN::OSS::Bucket) CREATE_FAILED: BucketAlreadyExists: taken",
    )
    assert "ROLLBACK_COMPLETE" in str(failed.value)


def test_a_busy_stack_is_left_alone(cloud: FakeCloud, packages: dict[str, Path]) -> None:
    """A stack in the middle of an operation is not updated."""
    cloud.stack = {"StackId": "stack-1", "StackName": "vpndiag", "Status": "UPDATE_IN_PROGRESS"}
    with pytest.raises(DeployFailed, match="busy"):
        _deploy(packages)

    assert "UpdateStack" not in cloud.actions()


def test_an_unknown_parameter_stops_before_the_stack(
    cloud: FakeCloud, packages: dict[str, Path]
) -> None:
    """A parameter the template does not declare is named before anything is uploaded or
    created."""
    with pytest.raises(errors.ConfigError, match="ArchiveBuckt"):
        _deploy(packages, ArchiveBuckt="typo")

    assert (cloud.calls, cloud.buckets, cloud.objects) == ([], set(), {})


def test_the_code_parameters_are_the_tools(cloud: FakeCloud, packages: dict[str, Path]) -> None:
    """The code bucket and objects cannot be given by hand: the tool sets them."""
    with pytest.raises(errors.ConfigError, match="CodeBucket"):
        _deploy(packages, CodeBucket="elsewhere")


def test_an_existing_bus_is_not_created_again(cloud: FakeCloud, packages: dict[str, Path]) -> None:
    """GetEventBus finding the bus means no CreateEventBus."""
    cloud.buses.add("vpndiag")
    _deploy(packages)

    assert "CreateEventBus" not in cloud.actions()


def test_a_changed_package_gets_a_new_object(cloud: FakeCloud, packages: dict[str, Path]) -> None:
    """New bytes, new name: the stack's code parameter changes, so ROS updates the function."""
    _deploy(packages)
    packages["archive"].write_bytes(b"zip of archive, fixed")
    cloud.stack = {"StackId": "stack-1", "StackName": "vpndiag", "Status": "CREATE_COMPLETE"}
    _deploy(packages)
    (update,) = [q for a, q in cloud.calls if a == "UpdateStack"]

    assert code.object_name("archive", b"zip of archive, fixed") in update.values()


def test_a_required_parameter_must_be_given(cloud: FakeCloud, packages: dict[str, Path]) -> None:
    """ArchiveBucket has no default: leaving it out is named before any call."""
    target = Target(
        region=REGION,
        credentials=lambda: KEYS,
        ros_endpoint="https://ros.aliyuncs.com",
        eventbridge_endpoint=f"https://eventbridge.{REGION}.aliyuncs.com",
        oss=OssEndpoints(),
        session=new_session(),
    )
    deployment = Deployment(
        stack_name="vpndiag", code_bucket="my-code", template=TEMPLATE, packages=packages
    )
    with pytest.raises(errors.ConfigError, match="ArchiveBucket"):
        Deployer(target, out=lambda line: None).run(deployment)

    assert cloud.calls == []

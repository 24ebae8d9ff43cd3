"""``vpndiag deploy`` into the emulated cloud, served on loopback: the code, the bus and the stack.

The emulated ROS (``vpndiag_emulator.ros``) answers CreateStack/GetStack/ListStackEvents as the
ROS API 2019-09-10 does (field names from the official SDK ``alibabacloud_ros20190910``) and
creates the template's resources in the emulated services; EventBridge's control plane answers
GetEventBus/CreateEventBus (API 2020-04-01); OSS answers GetBucketInfo/PutBucket/PutObject.
The second part holds the deploy client's requests to the official ROS SDK's, call by call.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from alibabacloud_ros20190910 import models as ros_models
from alibabacloud_ros20190910.client import Client
from alibabacloud_tea_openapi import models as open_api_models

from tests.conftest import ROOT
from vpndiag import errors
from vpndiag.credentials import Credentials
from vpndiag.deploy import code
from vpndiag.deploy.command import target
from vpndiag.deploy.ros import API_VERSION, RosClient, Stack
from vpndiag.deploy.rpc import RpcApi, RpcCaller
from vpndiag.deploy.run import Deployer, Deployment
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag_emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Cloud, LoopbackServer

REGION = "cn-hangzhou"
KEYS = Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)


@pytest.fixture
def cloud() -> Cloud:
    return Cloud(seed=3)


@pytest.fixture
def server(cloud: Cloud) -> Iterator[LoopbackServer]:
    with cloud.serve() as running:
        yield running


@pytest.fixture
def packages(tmp_path: Path) -> dict[str, Path]:
    """A small zip per function, its index.py at the root as FC expects."""
    found = {}
    for function in ("archive", "sweep", "report"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("index.py", (ROOT / "functions" / function / "index.py").read_text())
        found[function] = tmp_path / f"{function}.zip"
        found[function].write_bytes(buffer.getvalue())
    return found


def _deploy(server: LoopbackServer, packages: dict[str, Path], **parameters: str) -> Stack:
    deployment = Deployment(
        stack_name="vpndiag",
        code_bucket="vpndiag-code",
        template=(ROOT / "template.yml").read_text(),
        packages=packages,
        parameters={"ArchiveBucket": "vpndiag-archive", **parameters},
        poll_interval=0.05,
    )
    return Deployer(target(REGION, KEYS, server.base_url), out=lambda line: None).run(deployment)


def test_the_template_deploys_into_the_emulated_cloud(
    server: LoopbackServer, packages: dict[str, Path]
) -> None:
    """template.yml as it is, through ROS, ends CREATE_COMPLETE with the template's outputs."""
    stack = _deploy(server, packages)

    assert stack.status == "CREATE_COMPLETE"
    assert stack.outputs["ArchiveBucket"] == "oss://vpndiag-archive/vpndiag/"


def test_the_code_and_the_bus_exist_before_the_stack_needs_them(
    cloud: Cloud, server: LoopbackServer, packages: dict[str, Path]
) -> None:
    """The code bucket holds each zip under its content name, and the custom bus exists."""
    _deploy(server, packages)
    stored = cloud.oss(REGION).objects("vpndiag-code")

    assert stored[code.object_name("sweep", packages["sweep"].read_bytes())] == (
        packages["sweep"].read_bytes()
    )
    assert "vpndiag" in cloud.eventbridge(REGION).buses()


def test_a_second_deployment_updates_the_stack(
    server: LoopbackServer, packages: dict[str, Path]
) -> None:
    """Deploying again with a changed parameter updates the same stack."""
    first = _deploy(server, packages)
    second = _deploy(server, packages, SweepRegions="cn-hangzhou,cn-shanghai")

    assert (second.stack_id, second.status) == (first.stack_id, "UPDATE_COMPLETE")


def test_a_refused_parameter_fails_with_ross_own_error(
    server: LoopbackServer, packages: dict[str, Path]
) -> None:
    """A parameter value the template's AllowedPattern refuses is ROS's error (CreateStack
    refuses it: the ROS API reference's parameter validation), naming the parameter."""
    with pytest.raises(errors.ApiError, match="ArchiveBucket") as refused:
        _deploy(server, packages, ArchiveBucket="Not_A_Bucket")

    assert refused.value.service == "ros"


# -- the requests, against the official SDK's ---------------------------------------------------
# Both clients send the same call to a loopback server that records it and answers like ROS; the
# query parameters and the form body must be the same, so the vendor's SDK
# (alibabacloud_ros20190910) is the reference for every name (Parameters.N.ParameterKey,
# TemplateBody in the body, ...).

SDK_KEYS = Credentials("LTAIdeployTest", "deploy-test-secret")
TEMPLATE = "ROSTemplateFormatVersion: '2015-09-01'\nResources: {}\n"
PARAMETERS = {"ArchiveBucket": "my-archive", "SweepRegions": "cn-hangzhou,cn-shanghai"}


class Recorded:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer: dict[str, Any] = {}


def _handler(recorded: Recorded) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            recorded.requests.append(
                {
                    "query": dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)),
                    "form": dict(parse_qsl(body.decode(), keep_blank_values=True)),
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                }
            )
            data = json.dumps(recorded.answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def recorder() -> Iterator[tuple[str, Recorded]]:
    recorded = Recorded()
    httpd = HTTPServer(("127.0.0.1", 0), _handler(recorded))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{httpd.server_address[1]}", recorded
    finally:
        httpd.shutdown()
        httpd.server_close()


def _sdk(host: str) -> Client:
    config = open_api_models.Config(
        access_key_id=SDK_KEYS.access_key_id,
        access_key_secret=SDK_KEYS.access_key_secret,
        endpoint=host,
        protocol="http",
        region_id=REGION,
    )
    return Client(config)


def _ours(host: str) -> RosClient:
    api = RpcApi(service="ros", version=API_VERSION, endpoint=f"http://{host}")
    caller = RpcCaller(
        api, session=new_session(), credentials=lambda: SDK_KEYS, retry=RetryPolicy(1)
    )
    return RosClient(caller, REGION)


_SIGNING = {"SignatureNonce", "Timestamp", "Signature", "AccessKeyId", "SignatureMethod"}


def _parameters(request: dict[str, Any]) -> dict[str, str]:
    """What the call says, without what signs it."""
    return {k: v for k, v in request["query"].items() if k not in _SIGNING}


def test_create_stack_sends_what_the_sdk_sends(recorder: tuple[str, Recorded]) -> None:
    """CreateStack: the same query (stack name, flattened parameters, timeout, token) and the
    template in the form body, as the SDK's create_stack_with_options builds it."""
    host, recorded = recorder
    recorded.answer = {"RequestId": "r", "StackId": "stack-1"}
    _sdk(host).create_stack(
        ros_models.CreateStackRequest(
            region_id=REGION,
            stack_name="vpndiag",
            template_body=TEMPLATE,
            timeout_in_minutes=30,
            client_token="tok",
            parameters=[
                ros_models.CreateStackRequestParameters(parameter_key=k, parameter_value=v)
                for k, v in sorted(PARAMETERS.items())
            ],
        )
    )
    stack_id = _ours(host).create_stack(
        "vpndiag",
        TEMPLATE,
        PARAMETERS,
        timeout_minutes=30,
        client_token="tok",
        deadline=Deadline.after(10),
    )
    sdk, ours = recorded.requests

    assert stack_id == "stack-1"
    assert _parameters(ours) == _parameters(sdk)
    assert ours["form"] == sdk["form"] == {"TemplateBody": TEMPLATE}
    assert (ours["headers"]["x-acs-action"], ours["headers"]["x-acs-version"]) == (
        sdk["headers"]["x-acs-action"],
        sdk["headers"]["x-acs-version"],
    )


def test_the_body_hash_is_signed(recorder: tuple[str, Recorded]) -> None:
    """V3 signs the body's SHA-256 (``x-acs-content-sha256``), which the form body matches."""
    host, recorded = recorder
    recorded.answer = {"RequestId": "r", "StackId": "stack-1"}
    _ours(host).create_stack(
        "vpndiag", TEMPLATE, {}, timeout_minutes=5, client_token="t", deadline=Deadline.after(10)
    )
    (sent,) = recorded.requests

    assert sent["headers"]["x-acs-content-sha256"] == hashlib.sha256(sent["body"]).hexdigest()
    assert "x-acs-content-sha256" in sent["headers"]["authorization"]


def test_list_stack_events_sends_what_the_sdk_sends(recorder: tuple[str, Recorded]) -> None:
    """ListStackEvents: StackId, PageNumber and PageSize in the query; events read by the SDK
    model's field names."""
    host, recorded = recorder
    event = {
        "EventId": "e1",
        "LogicalResourceId": "ArchiveStore",
        "ResourceType": "ALIYUN::OSS::Bucket",
        "Status": "CREATE_FAILED",
        "StatusReason": "BucketAlreadyExists",
        "CreateTime": "2026-12-04T23:00:00",
    }
    recorded.answer = {"RequestId": "r", "Events": [event], "TotalCount": 1, "PageNumber": 1}
    _sdk(host).list_stack_events(
        ros_models.ListStackEventsRequest(
            region_id=REGION, stack_id="stack-1", page_number=1, page_size=50
        )
    )
    (found,) = _ours(host).stack_events("stack-1", deadline=Deadline.after(10))
    sdk, ours = recorded.requests

    assert _parameters(ours) == _parameters(sdk)
    assert (found.logical_id, found.status, found.status_reason, found.failed) == (
        "ArchiveStore",
        "CREATE_FAILED",
        "BucketAlreadyExists",
        True,
    )


def test_get_stack_reads_status_reason_and_outputs(recorder: tuple[str, Recorded]) -> None:
    """GetStack's Status, StatusReason and Outputs (OutputKey/OutputValue), as the SDK model
    names them, and the query the SDK sends."""
    host, recorded = recorder
    recorded.answer = {
        "RequestId": "r",
        "StackId": "stack-1",
        "StackName": "vpndiag",
        "Status": "CREATE_COMPLETE",
        "StatusReason": "Stack CREATE completed successfully",
        "Outputs": [{"OutputKey": "ArchiveBucket", "OutputValue": "oss://a/vpndiag/"}],
    }
    _sdk(host).get_stack(ros_models.GetStackRequest(region_id=REGION, stack_id="stack-1"))
    stack = _ours(host).get_stack("stack-1", deadline=Deadline.after(10))
    sdk, ours = recorded.requests

    assert _parameters(ours) == _parameters(sdk)
    assert (stack.status, stack.outputs, stack.in_progress) == (
        "CREATE_COMPLETE",
        {"ArchiveBucket": "oss://a/vpndiag/"},
        False,
    )


def test_list_stacks_filters_by_name_as_the_sdk_does(recorder: tuple[str, Recorded]) -> None:
    """ListStacks takes the name as the list StackName.1, and a deleted stack is no stack."""
    host, recorded = recorder
    recorded.answer = {
        "RequestId": "r",
        "TotalCount": 1,
        "Stacks": [{"StackId": "old", "StackName": "vpndiag", "Status": "DELETE_COMPLETE"}],
    }
    _sdk(host).list_stacks(
        ros_models.ListStacksRequest(region_id=REGION, stack_name=["vpndiag"], page_size=50)
    )
    found = _ours(host).find_stack("vpndiag", deadline=Deadline.after(10))
    sdk, ours = recorded.requests

    assert _parameters(ours) == _parameters(sdk)
    assert found is None

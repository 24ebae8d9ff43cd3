"""The emulated FC platform running functions deployed from code packages (what ROS deploys).

Vendor facts: the handler/initializer contract and ``context`` attributes (FC's Python handler
and initializer pages; FC 3.0 python3.12 reads keys from ``ALIBABA_CLOUD_*``), async retries and
failure destinations on MNS (https://www.alibabacloud.com/help/en/fc/user-guide/result-callback),
error codes (https://www.alibabacloud.com/help/en/functioncompute/error-codes).
"""

from __future__ import annotations

import io
import json
import os
import zipfile

import pytest

from vpndiag_emulator import Cloud, ManualClock
from vpndiag_emulator.fc.errors import FcApiError
from vpndiag_emulator.fc.models import AsyncConfig, FcBackend

REGION = "cn-hangzhou"
ACCOUNT = "1234567890123456"
INDEX = """
import json, os
CALLS = {"init": 0}

def initializer(context):
    CALLS["init"] += 1

def handler(event, context):
    if event == b"fail":
        raise RuntimeError("asked to fail")
    return json.dumps({
        "init": CALLS["init"],
        "env": os.environ.get("VPNDIAG_TEST_VAR"),
        "key": context.credentials.access_key_id,
        "env_key": os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID"),
        "log_store": context.service.log_store,
        "function": context.function.name,
    })
"""
TRUST = {
    "Version": "1",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": ["fc.aliyuncs.com"]},
        }
    ],
}


def code_zip(source: str = INDEX) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()


@pytest.fixture
def cloud() -> Cloud:
    return Cloud(seed=3, clock=ManualClock())


@pytest.fixture
def fc(cloud: Cloud) -> FcBackend:
    backend = cloud.fc(REGION)
    backend.create_service("vpndiag", log_project="logs", log_store="function-logs")
    return backend


def deploy(fc: FcBackend, *, runtime: str = "python3.10", **kwargs: object) -> None:
    fc.create_function(
        "vpndiag",
        "archive",
        code=code_zip(),
        handler="index.handler",
        runtime=runtime,
        timeout=60,
        memory=256,
        environment={"VPNDIAG_TEST_VAR": "from-config"},
        initializer="index.initializer",
        **kwargs,  # type: ignore[arg-type]
    )


def answer(fc: FcBackend, payload: bytes = b"{}") -> dict[str, object]:
    result = fc.invoke("vpndiag", "archive", payload)
    assert result.error is None, result.error
    return dict(json.loads(result.body))


def test_the_handler_of_the_zip_runs(fc: FcBackend) -> None:
    """index.handler from the uploaded zip answers the invocation, with the function's meta."""
    deploy(fc)

    assert answer(fc)["function"] == "archive"


def test_the_initializer_runs_once_per_instance(fc: FcBackend) -> None:
    """Three invocations, one initializer run."""
    deploy(fc)
    for _ in range(2):
        answer(fc)

    assert answer(fc)["init"] == 1


def test_an_update_gets_a_new_instance_and_initializer(fc: FcBackend) -> None:
    """UpdateFunction replaces the instance: its initializer runs again, once."""
    deploy(fc)
    answer(fc)
    fc.update_function("vpndiag", "archive", memory=512)

    assert answer(fc)["init"] == 1


def test_environment_variables_are_visible_only_during_the_invocation(fc: FcBackend) -> None:
    """os.environ has the function's variables while it runs, and not afterwards."""
    deploy(fc)

    seen = answer(fc)["env"]

    assert (seen, os.environ.get("VPNDIAG_TEST_VAR")) == ("from-config", None)


def test_the_context_carries_the_service_log_config(fc: FcBackend) -> None:
    """context.service.log_store is the service's LogConfig.Logstore."""
    deploy(fc)

    assert answer(fc)["log_store"] == "function-logs"


def test_the_service_role_gives_sts_keys_on_the_context(cloud: Cloud) -> None:
    """A service with a role: context.credentials holds STS keys of that role."""
    role = cloud.ram(ACCOUNT).create_role("vpndiag-fc", TRUST)
    fc = cloud.fc(REGION)
    fc.create_service("vpndiag", role_arn=role.arn)
    deploy(fc)

    assert str(answer(fc)["key"]).startswith("STS.")


def test_python312_gets_the_keys_in_the_environment(cloud: Cloud) -> None:
    """python3.12 (FC 3.0) has no context.credentials: ALIBABA_CLOUD_ACCESS_KEY_ID is set."""
    role = cloud.ram(ACCOUNT).create_role("vpndiag-fc", TRUST)
    fc = cloud.fc(REGION)
    fc.create_service("vpndiag", role_arn=role.arn)
    deploy(fc, runtime="python3.12")

    seen = answer(fc)

    assert (seen["key"], str(seen["env_key"]).startswith("STS.")) == ("", True)


def test_async_failures_are_retried_then_sent_to_the_mns_queue(cloud: Cloud, fc: FcBackend) -> None:
    """MaxAsyncRetryAttempts 1: two runs, then the failure record lands in the OnFailure queue."""
    cloud.mns(REGION).create_queue("dead-letters")
    arn = f"acs:mns:{REGION}:{ACCOUNT}:/queues/dead-letters/messages"
    deploy(fc, async_config=AsyncConfig(max_async_retry_attempts=1, on_failure=arn))
    fc.enqueue("vpndiag", "archive", b"fail")

    fc.drain()

    queue = cloud.mns(REGION).queue("dead-letters")
    assert queue is not None
    (message,) = queue.messages
    record = json.loads(message.body)
    assert (record["requestContext"]["approximateInvokeCount"], record["requestPayload"]) == (
        2,
        "fail",
    )


def test_a_missing_destination_queue_is_recorded_as_undelivered(fc: FcBackend) -> None:
    """No such queue: the record stays in dead_letters and the delivery failure is listed."""
    arn = f"acs:mns:{REGION}:{ACCOUNT}:/queues/absent/messages"
    deploy(fc, async_config=AsyncConfig(max_async_retry_attempts=0, on_failure=arn))
    fc.enqueue("vpndiag", "archive", b"fail")

    fc.drain()

    assert (len(fc.dead_letters), [u.destination for u in fc.undelivered]) == (1, [arn])


def test_create_function_needs_the_service(cloud: Cloud) -> None:
    """CreateFunction in a service that does not exist: ServiceNotFound."""
    with pytest.raises(FcApiError) as raised:
        deploy(cloud.fc(REGION))

    assert raised.value.code == "ServiceNotFound"


def test_code_that_is_not_a_zip_is_refused(fc: FcBackend) -> None:
    """CreateFunction with a code package that is not a zip: InvalidArgument."""
    with pytest.raises(FcApiError) as raised:
        fc.create_function(
            "vpndiag",
            "bad",
            code=b"not a zip",
            handler="index.handler",
            runtime="python3.10",
            timeout=60,
            memory=128,
            environment={},
        )

    assert raised.value.code == "InvalidArgument"


def test_a_missing_entry_module_fails_the_invocation(fc: FcBackend) -> None:
    """A handler naming a module the zip lacks fails at invocation, as at a cold start."""
    fc.create_function(
        "vpndiag",
        "other",
        code=code_zip(),
        handler="main.handler",
        runtime="python3.10",
        timeout=60,
        memory=128,
        environment={},
    )

    result = fc.invoke("vpndiag", "other", b"{}")

    assert json.loads(str(result.error))["errorType"] == "ModuleNotFoundError"


def test_a_function_with_triggers_cannot_be_deleted(fc: FcBackend) -> None:
    """DeleteFunction while a trigger exists: FunctionNotEmpty."""
    deploy(fc)
    fc.create_trigger(
        "vpndiag", "archive", "t", trigger_type="timer", config={"cronExpression": "@every 5m"}
    )

    with pytest.raises(FcApiError) as raised:
        fc.delete_function("vpndiag", "archive")

    assert raised.value.code == "FunctionNotEmpty"

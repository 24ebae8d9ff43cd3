"""template.yml held to the code: handlers, settings, RAM actions, index fields, packages.

What the template must match is derived from the code, never copied into this file: the RAM
actions from the clients' ``ACTIONS`` and from the requests the cloud stores actually send, the
index keys from the records the archive writes, the settings from the settings models. The
template's structure is read as the vendor's ROS resource specs define it (functions are
``ALIYUN::FC::Function`` resources, timers ``ALIYUN::FC::Trigger`` ones, ...); whether every
property is valid per those specs is ``vpndiag_emulator.ros.validate``'s test, not this file's.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
import yaml
from tools import package

from tests.conftest import EVENTS, ROOT
from vpndiag import config
from vpndiag.archive.records import TOPIC, records_for, transition_records
from vpndiag.cli import load_function
from vpndiag.clients import eventbridge, vpc
from vpndiag.credentials import Credentials
from vpndiag.deploy import run as deploy_run
from vpndiag.events import HEALTH_EVENT_TYPES
from vpndiag.health import events as health_events
from vpndiag.health import rootcause
from vpndiag.health.store import Snapshot
from vpndiag.health.thresholds import Finding
from vpndiag.health.transitions import Rule, advance
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag.model.response import parse_result
from vpndiag.normalize import normalize
from vpndiag.report import message as report_message
from vpndiag.report import settings as report_settings
from vpndiag.store.factory import Wiring, open_log_store, open_object_store
from vpndiag.store.logs import LogRecord
from vpndiag.sweep import fc_handoff
from vpndiag.sweep import settings as sweep_settings

Doc = dict[str, Any]
TEMPLATE = ROOT / "template.yml"
FUNCTION_TYPE = "ALIYUN::FC::Function"
NO_VALUE = "ALIYUN::NoValue"
# Values for the parameters without a default, and for the pseudo parameters.
SAMPLE_PARAMETERS = {
    "ArchiveBucket": "vpndiag-archive-test",
    "CodeBucket": "vpndiag-code-test",
    "ArchiveCodeObject": "vpndiag/code/archive-0123456789abcdef.zip",
    "SweepCodeObject": "vpndiag/code/sweep-0123456789abcdef.zip",
    "ReportCodeObject": "vpndiag/code/report-0123456789abcdef.zip",
    "ALIYUN::AccountId": "1234567890123456",
    "ALIYUN::Region": "cn-hangzhou",
    "ALIYUN::StackName": "vpndiag-test",
}


class RosLoader(yaml.SafeLoader):
    """YAML with ROS's short-form functions: ``!Ref x`` -> ``{"Ref": x}``, ``!Sub`` ->
    ``{"Fn::Sub": ...}``, ``!GetAtt a.b`` -> ``{"Fn::GetAtt": [a, b]}``, and so on."""


# ROS's functions in short form; an unknown tag fails the load, so a new one gets added here.
ROS_FUNCTIONS = (
    "Ref", "Sub", "GetAtt", "Join", "Select", "Split", "If", "Equals", "Not", "And", "Or",
    "FindInMap", "GetAZs", "Base64Encode", "Replace", "Str", "Length", "Index", "ListMerge",
    "GetJsonValue", "MergeMapToList", "Jq", "Add", "Min", "Max", "Avg", "Calculate",
)  # fmt: skip


def _ros_function(suffix: str) -> Callable[[RosLoader, yaml.Node], Doc]:
    def construct(loader: RosLoader, node: yaml.Node) -> Doc:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        elif isinstance(node, yaml.MappingNode):
            value = loader.construct_mapping(node, deep=True)
        if suffix == "Ref":
            return {"Ref": value}
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{suffix}": value}

    return construct


for _name in ROS_FUNCTIONS:
    RosLoader.add_constructor(f"!{_name}", _ros_function(_name))


@pytest.fixture(scope="module")
def template() -> Doc:
    document: Doc = yaml.load(TEMPLATE.read_text(), Loader=RosLoader)
    return document


def _parameters(template: Doc, **given: str) -> dict[str, str]:
    defaults = {
        name: str(spec["Default"])
        for name, spec in template["Parameters"].items()
        if "Default" in spec
    }
    return {**defaults, **SAMPLE_PARAMETERS, **given}


def _condition(value: Any, parameters: dict[str, str]) -> bool:
    """Evaluate a condition of the functions the template uses (Fn::Not, Fn::Equals)."""
    if "Fn::Not" in value:
        return not _condition(value["Fn::Not"][0], parameters)
    left, right = (_resolve(v, parameters) for v in value["Fn::Equals"])
    return bool(left == right)


def _resolve(value: Any, parameters: dict[str, str], template: Doc | None = None) -> Any:
    """Evaluate !Ref, !Sub and !If (conditions from ``template``) with the parameters: enough for
    environment values, ARNs and the optional features; ALIYUN::NoValue drops its key."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return NO_VALUE if value["Ref"] == NO_VALUE else parameters[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        return re.sub(r"\$\{([^}]+)\}", lambda m: parameters[m[1]], value["Fn::Sub"])
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        assert template is not None, "Fn::If needs the template's Conditions"
        name, then, otherwise = value["Fn::If"]
        chosen = then if _condition(template["Conditions"][name], parameters) else otherwise
        return _resolve(chosen, parameters, template)
    if isinstance(value, list):
        return [_resolve(v, parameters, template) for v in value]
    if isinstance(value, dict):
        resolved = {k: _resolve(v, parameters, template) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v != NO_VALUE}
    return value


def _functions(template: Doc) -> dict[str, Doc]:
    """Every function's properties, by its FunctionName."""
    return {
        resource["Properties"]["FunctionName"]: resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == FUNCTION_TYPE
    }


def _timers(template: Doc, function: str) -> list[Doc]:
    """The TriggerConfig of every timer trigger on ``function``."""
    return [
        r["Properties"]["TriggerConfig"]
        for r in _resources_of_type(template, "ALIYUN::FC::Trigger")
        if r["Properties"]["FunctionName"] == function and r["Properties"]["TriggerType"] == "timer"
    ]


def _environment(template: Doc, function: str) -> dict[str, str]:
    env = _functions(template)[function].get("EnvironmentVariables", {})
    resolved: dict[str, str] = _resolve(env, _parameters(template))
    return resolved


def _role_policies(template: Doc) -> dict[str, list[Doc]]:
    """Statements of each policy of the service role, by policy name prefix (code, platform)."""
    (role,) = (r for r in template["Resources"].values() if r["Type"] == "ALIYUN::RAM::Role")
    policies = _resolve(role["Properties"]["Policies"], _parameters(template))
    return {p["PolicyName"].split("-")[1]: p["PolicyDocument"]["Statement"] for p in policies}


def _actions(statements: list[Doc]) -> set[str]:
    return {action for s in statements for action in s["Action"]}


def _resources_of_type(template: Doc, kind: str) -> list[Doc]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


# -- functions ------------------------------------------------------------------------------------


def test_the_template_deploys_every_function(template: Doc) -> None:
    """The archive, the sweep and the report, each with its own folder under functions/."""
    assert sorted(_functions(template)) == sorted(
        p.parent.name for p in ROOT.glob("functions/*/index.py")
    )


def test_every_function_runs_python310(template: Doc) -> None:
    """The runtime the code is checked against (vermin, the 3.10 test run)."""
    assert {f["Runtime"] for f in _functions(template).values()} == {"python3.10"}


@pytest.mark.parametrize("role", ["Handler", "Initializer"])
def test_handlers_resolve_to_callables(template: Doc, role: str) -> None:
    """``index.handler`` / ``index.initializer`` exist in functions/<name>/index.py."""
    for name, properties in _functions(template).items():
        module_name, _, attribute = properties[role].partition(".")
        assert module_name == "index"
        module = load_function(name, ROOT / "functions")
        assert callable(getattr(module, attribute)), f"{name}: {properties[role]}"


def test_code_comes_from_the_objects_vpndiag_deploy_uploads(template: Doc) -> None:
    """Each function's code is the OSS object named by the parameter vpndiag deploy fills in with
    that function's uploaded zip, in the code bucket it names."""
    codes = {name: f["Code"] for name, f in _functions(template).items()}

    assert codes == {
        function: {
            "OssBucketName": {"Ref": deploy_run.CODE_BUCKET_PARAMETER},
            "OssObjectName": {"Ref": parameter},
        }
        for function, parameter in deploy_run.CODE_PARAMETERS.items()
    }


def test_functions_belong_to_the_templates_service(template: Doc) -> None:
    """Every function and trigger names the one service, which the sweep hands work off to."""
    (service,) = _resources_of_type(template, "ALIYUN::FC::Service")
    name = service["Properties"]["ServiceName"]
    members = _resources_of_type(template, FUNCTION_TYPE) + _resources_of_type(
        template, "ALIYUN::FC::Trigger"
    )

    assert {r["Properties"]["ServiceName"] for r in members} == {name}
    assert _environment(template, "sweep")["VPNDIAG_SWEEP_ARCHIVE_SERVICE"] == name


# -- settings -------------------------------------------------------------------------------------


def _known_settings() -> set[str]:
    shared = {config.env_name(f) for f in config.Settings.model_fields}
    sweep = {sweep_settings.env_name(f) for f in sweep_settings.SweepSettings.model_fields}
    report = {report_settings.env_name(f) for f in report_settings.ReportSettings.model_fields}
    return shared | sweep | report


def test_every_vpndiag_variable_is_a_setting(template: Doc) -> None:
    """No VPNDIAG_* variable the template sets is unknown to the code (the loaders reject them)."""
    for name in _functions(template):
        variables = {k for k in _environment(template, name) if k.startswith(config.PREFIX)}
        assert variables <= _known_settings(), name


def test_archive_settings_load_with_cloud_stores(template: Doc) -> None:
    """The archive's environment loads, and names OSS and SLS rather than the local defaults."""
    settings = config.load(_environment(template, "archive"))

    assert settings.object_store.startswith("oss://")
    assert settings.log_store.startswith("sls://")


def test_sweep_settings_load_and_fan_out_through_fc(template: Doc) -> None:
    """The sweep's environment loads (regions are required) and hands off through FC."""
    sweep, shared = sweep_settings.load(_environment(template, "sweep"))
    config.load(shared)

    assert sweep.handoff == "fc"
    assert sweep.regions


def test_archive_records_go_to_the_indexed_logstore(template: Doc) -> None:
    """VPNDIAG_LOG_STORE names the logstore the template creates and indexes."""
    log_store = _environment(template, "archive")["VPNDIAG_LOG_STORE"]
    parameters = _parameters(template)
    (index, _) = _resources_of_type(template, "ALIYUN::SLS::Index")
    target = _resolve(index["Properties"], parameters)

    assert log_store == f"sls://{target['ProjectName']}/{target['LogstoreName']}"


# -- RAM ------------------------------------------------------------------------------------------


_WIRE_ACTIONS = (
    # (service, method, URL pattern) -> RAM action, from the OSS and SLS authorization references.
    ("oss", "PUT", re.compile(r"/[^?]+$"), "oss:PutObject"),
    ("oss", "GET", re.compile(r"/\?.*list-type=2"), "oss:ListObjects"),
    ("oss", "GET", re.compile(r"/[^?]+$"), "oss:GetObject"),
    ("oss", "HEAD", re.compile(r"/[^?]+$"), "oss:GetObject"),
    ("log", "POST", re.compile(r"/logstores/[^/]+/shards/lb$"), "log:PostLogStoreLogs"),
    ("log", "GET", re.compile(r"/logstores/[^/?]+\?.*type=log"), "log:GetLogStoreLogs"),
)
_OSS_HOST = re.compile(r"https://[a-z0-9-]+\.oss-[a-z0-9-]+\.aliyuncs\.com(/.*)")
_SLS_HOST = re.compile(r"https://[a-z0-9-]+\.[a-z0-9-]+\.log\.aliyuncs\.com(/.*)")
_LIST_BODY = b"<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"
_EXISTS = b"<Error><Code>FileAlreadyExists</Code><Message>exists</Message></Error>"


_OSS_ID = {"x-oss-request-id": "RID-stub"}  # every OSS answer names its request


def _stub(sent: list[tuple[str, str, str]]) -> Any:
    """Answers the stores' requests as the services would, recording (service, method, path)."""

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        url, method = request.url or "", request.method or ""
        oss, sls = _OSS_HOST.fullmatch(url), _SLS_HOST.fullmatch(url)
        match = oss or sls
        assert match is not None, url
        sent.append(("oss" if oss else "log", method, match[1]))
        if oss and method == "PUT":
            return 409, {"Content-Type": "application/xml"}, _EXISTS
        if oss and "list-type=2" in url:
            return 200, {"Content-Type": "application/xml", **_OSS_ID}, _LIST_BODY
        if sls and method == "GET":
            return 200, {"x-log-progress": "Complete", "x-log-count": "0"}, b"[]"
        return 200, _OSS_ID if oss else {}, b"existing" if oss and method == "GET" else b""

    return answer


def _store_actions() -> set[str]:
    """The RAM actions the OSS and SLS stores need, from the requests each of their methods
    sends (put_if_absent meeting an existing object takes the GetObject path too)."""
    settings = config.Settings(
        object_store="oss://vpndiag-archive-test/vpndiag/",
        log_store="sls://vpndiag-logs/diagnoses",
        storage_region="cn-hangzhou",
    )
    keys = Credentials("LTAIexample", "secret")
    wiring = Wiring(
        session=new_session(),
        credentials=lambda: keys,
        retry=RetryPolicy(attempts=1),
        deadline=lambda: Deadline.after(30),
        function_region=None,
    )
    sent: list[tuple[str, str, str]] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in ("GET", "PUT", "HEAD", "POST"):
            mock.add_callback(method, re.compile(r"https://.*"), callback=_stub(sent))
        objects, prefix = open_object_store(settings, lambda: wiring)
        objects.put_if_absent(prefix + "k", b"existing", content_type="text/plain")
        objects.get(prefix + "k")
        objects.exists(prefix + "k")
        list(objects.list(prefix))
        logs = open_log_store(settings, lambda: wiring)
        record = LogRecord(0, "t", "s", {"record_id": "r", "diagnose_id": "vpndgn-abcd1234"})
        logs.put([record])
        logs.record_ids("vpndgn-abcd1234", 0)
    actions = set()
    for service, method, path in sent:
        found = [
            a for s, m, p, a in _WIRE_ACTIONS if (s, m) == (service, method) and p.search(path)
        ]
        assert found, f"no RAM action known for {service} {method} {path}: add it"
        actions.add(found[0])
    return actions


def _code_actions() -> set[str]:
    return (
        set(vpc.ACTIONS)
        | set(fc_handoff.ACTIONS)
        | set(rootcause.ACTIONS)
        | set(eventbridge.ACTIONS)
        | _store_actions()
    )


def test_code_policy_grants_exactly_the_actions_the_code_calls(template: Doc) -> None:
    """No action the code needs is missing, and none it does not call is granted."""
    assert _actions(_role_policies(template)["code"]) == _code_actions()


def test_platform_policy_only_delivers_logs_and_dead_letters(template: Doc) -> None:
    """The second policy is FC's own use of the role: function logs and the failure destination."""
    assert _actions(_role_policies(template)["platform"]) == {
        "log:PostLogStoreLogs",
        "mns:SendMessage",
    }


# The actions whose "Authorization information" rows in the VPC API reference give no resource
# type ("All Resources"): DescribeVpnConnections, DiagnoseVpnGateway
# (api-vpc-2016-04-28-diagnosevpngateway-vpns), DiagnoseVpnConnections
# (api-vpc-2016-04-28-diagnosevpnconnections-vpns). Only ``Resource: "*"`` grants them.
ALL_RESOURCES_ACTIONS = frozenset(
    {"vpc:DescribeVpnConnections", "vpc:DiagnoseVpnGateway", "vpc:DiagnoseVpnConnections"}
)


def test_no_statement_grants_a_wildcard_action(template: Doc) -> None:
    """No ``*`` in any action of the role."""
    statements = [s for group in _role_policies(template).values() for s in group]

    assert not [a for a in _actions(statements) if "*" in a]


def test_only_actions_without_a_resource_type_get_every_resource(template: Doc) -> None:
    """A bare ``*`` resource grants exactly the actions RAM documents as "All Resources"; every
    other action is scoped to a resource."""
    statements = [s for group in _role_policies(template).values() for s in group]
    unscoped = {a for s in statements if "*" in s["Resource"] for a in s["Action"]}

    assert unscoped == ALL_RESOURCES_ACTIONS


def test_invoke_permission_names_the_function_the_sweep_invokes(template: Doc) -> None:
    """fc:InvokeFunction is scoped to the archive function the sweep's settings name."""
    env = _environment(template, "sweep")
    (statement,) = [
        s for s in _role_policies(template)["code"] if "fc:InvokeFunction" in s["Action"]
    ]
    target = (
        f"services/{env['VPNDIAG_SWEEP_ARCHIVE_SERVICE']}"
        f"/functions/{env['VPNDIAG_SWEEP_ARCHIVE_FUNCTION']}"
    )

    assert [r.split(":", 4)[4] for r in statement["Resource"]] == [target]


def test_the_role_is_the_services(template: Doc) -> None:
    """The service runs with the role whose policies are checked above."""
    (service,) = _resources_of_type(template, "ALIYUN::FC::Service")
    (name,) = [k for k, r in template["Resources"].items() if r["Type"] == "ALIYUN::RAM::Role"]

    assert service["Properties"]["Role"] == {"Fn::GetAtt": [name, "Arn"]}


# -- storage --------------------------------------------------------------------------------------


def _record_fields() -> set[str]:
    body = (EVENTS / "responses" / "finished-all-checks.json").read_bytes()
    summary = normalize(parse_result(body), region="cn-hangzhou", account_id="1234567890123456")
    records = records_for(summary, archive_key="k", request_id="r", now=0)
    state, moves = advance(
        None,
        findings=[Finding("VcoPrivateConnectivity", "error", "error")],
        connection_id="vco-abcd1234",
        gateway_id=summary.gateway_id,
        region=summary.region,
        diagnose_id=summary.diagnose_id,
        at=datetime(2026, 11, 20, tzinfo=timezone.utc),
        rule=Rule(),
    )
    snapshot = Snapshot(state=state, transitions=moves, findings=[], archive_key="k")
    records += transition_records(summary, snapshot, now=0)
    assert any(r.contents["record_type"] == "transition" for r in records)
    return {field for record in records for field in record.contents}


def test_index_keys_are_the_record_fields(template: Doc) -> None:
    """Every field records.py writes is indexed, and nothing else."""
    (records_index, _) = _resources_of_type(template, "ALIYUN::SLS::Index")
    keys = [k["Name"] for k in records_index["Properties"]["KeyIndices"]]

    assert (len(keys), set(keys)) == (len(set(keys)), _record_fields())


def test_logstores_have_a_ttl(template: Doc) -> None:
    """Records and function logs expire: no logstore keeps data forever by omission."""
    stores = _resources_of_type(template, "ALIYUN::SLS::Logstore")

    assert len(stores) == 2
    assert all("TTL" in s["Properties"] for s in stores)


def test_bucket_expires_the_archive_prefix(template: Doc) -> None:
    """The bucket's lifecycle covers the prefix the archive writes under."""
    (bucket,) = _resources_of_type(template, "ALIYUN::OSS::Bucket")
    object_store = _environment(template, "archive")["VPNDIAG_OBJECT_STORE"]
    prefix = object_store.split("/", 3)[3]
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rule"]

    assert any(r["Prefix"] == prefix and "Expiration" in r for r in rules)


# -- asynchronous invocations and events -----------------------------------------------------------


@pytest.mark.parametrize("function", ["archive", "sweep", "report"])
def test_failed_async_invocations_go_to_the_templates_queue(template: Doc, function: str) -> None:
    """OnFailure is the MNS queue the template creates; retries and event age are explicit."""
    parameters = _parameters(template)
    config_ = _resolve(_functions(template)[function]["AsyncConfiguration"], parameters)
    (queue,) = _resources_of_type(template, "ALIYUN::MNS::Queue")
    name = _resolve(queue["Properties"]["QueueName"], parameters)

    assert config_["Destination"]["OnFailure"].endswith(f":/queues/{name}/messages")
    assert {"MaxAsyncRetryAttempts", "MaxAsyncEventAgeInSeconds"} <= set(config_)


def test_a_timer_triggers_the_sweep(template: Doc) -> None:
    """One enabled timer on the sweep, on the schedule parameter."""
    assert [(t["CronExpression"], t["Enable"]) for t in _timers(template, "sweep")] == [
        ({"Ref": "SweepSchedule"}, True)
    ]


def test_the_sweep_is_its_only_trigger_kind(template: Doc) -> None:
    """No trigger on any function but the two timers (events arrive through EventBridge rules)."""
    triggers = _resources_of_type(template, "ALIYUN::FC::Trigger")

    assert sorted(
        (t["Properties"]["FunctionName"], t["Properties"]["TriggerType"]) for t in triggers
    ) == [
        ("report", "timer"),
        ("sweep", "timer"),
    ]


def _rules(template: Doc, **given: str) -> list[Doc]:
    """The rules the stack creates with these parameters (those whose Condition holds)."""
    parameters = _parameters(template, **given)
    return [
        _resolve(r["Properties"], parameters, template)
        for r in _resources_of_type(template, "ALIYUN::EventBridge::Rule")
        if "Condition" not in r or _condition(template["Conditions"][r["Condition"]], parameters)
    ]


def _rule_targets(template: Doc, bus: str, **given: str) -> list[Doc]:
    return [r for r in _rules(template, **given) if r["EventBusName"] == bus]


def test_health_rule_matches_the_events_the_archive_reacts_to(template: Doc) -> None:
    """The default bus's rule forwards exactly the health event types the parser knows."""
    (rule,) = _rule_targets(template, "default")

    assert set(rule["FilterPattern"]["type"]) == HEALTH_EVENT_TYPES
    assert rule["FilterPattern"]["source"] == ["acs.vpn"]


def _archive_rules(template: Doc) -> list[Doc]:
    """The rules that feed the archive (the others consume vpndiag's own events)."""
    return [
        r
        for r in _resources_of_type(template, "ALIYUN::EventBridge::Rule")
        if "vpndiag" not in r["Properties"]["FilterPattern"].get("source", [])
    ]


def test_every_rule_invokes_the_archive_asynchronously(template: Doc) -> None:
    """Health and diagnosis events reach the archive function, asynchronously (retries, DLQ)."""
    for rule in _archive_rules(template):
        (target,) = rule["Properties"]["Targets"]
        params = {p["ResourceKey"]: p.get("Value") for p in target["ParamList"]}
        assert (target["Type"], params["functionName"], params["InvocationType"]) == (
            "acs.fc.function",
            "archive",
            "Async",
        )


def test_diagnosis_events_have_their_own_bus(template: Doc) -> None:
    """The custom bus (which vpndiag deploy creates: ROS has no type for it) is the parameter the
    rules on it and the archive's publishing name; with a DingTalk webhook it carries three rules."""
    name = _parameters(template)[deploy_run.BUS_PARAMETER]
    webhook = "https://oapi.dingtalk.com/robot/send?access_token=t"
    types = [
        r["FilterPattern"]["type"]
        for r in _rule_targets(template, name, AlertDingTalkWebhook=webhook)
    ]

    assert sorted(types) == [
        ["vpndiag:Connection:StateChanged"],
        ["vpndiag:Diagnosis:Started"],
        [report_message.TYPE],
    ]
    assert _environment(template, "archive")["VPNDIAG_EVENT_BUS"] == name


def test_the_example_alert_fires_on_connection_changes_only(template: Doc) -> None:
    """The example rule takes state changes of whole connections, not while they flap, and its
    filter names fields the published events really carry."""
    (rule,) = [
        r
        for r in _rule_targets(template, "vpndiag", AlertDingTalkWebhook="https://example.com/r")
        if r["FilterPattern"]["type"] == ["vpndiag:Connection:StateChanged"]
    ]
    transition = rule["FilterPattern"]["data"]["transition"]
    assert (transition["scope"], transition["flapping"]) == (["connection"], [False])
    assert rule["FilterPattern"]["source"] == [health_events.SOURCE]


# -- packages -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packages, built offline from a stand-in dependency directory."""
    root = tmp_path_factory.mktemp("package")
    deps = root / "deps"
    for name in ("pydantic/__init__.py", "pydantic/__pycache__/x.pyc", "bin/tool"):
        (deps / name).parent.mkdir(parents=True, exist_ok=True)
        (deps / name).write_text("")
    package.build(root / "build", deps)
    return root / "build"


@pytest.mark.parametrize("function", ["archive", "sweep", "report"])
def test_package_has_the_handler_at_its_root(built: Path, function: str) -> None:
    """index.py at the root is the function's own, next to vpndiag and the dependencies."""
    with zipfile.ZipFile(package.zip_path(built, function)) as archive:
        names = set(archive.namelist())
        index = archive.read("index.py")

    assert index == (ROOT / "functions" / function / "index.py").read_bytes()
    assert {"vpndiag/__init__.py", "vpndiag/sweep/runner.py", "pydantic/__init__.py"} <= names


def test_package_leaves_out_the_demo_and_caches(built: Path) -> None:
    """No demo (it needs the emulator), no bytecode caches, no console scripts."""
    with zipfile.ZipFile(package.zip_path(built, "sweep")) as archive:
        names = archive.namelist()

    assert "vpndiag/demo.py" not in names
    assert not [
        n for n in names if "__pycache__" in n or n.startswith(("bin/", "vpndiag_emulator"))
    ]


def test_package_is_reproducible(built: Path, tmp_path: Path) -> None:
    """The same inputs give the same bytes (fixed timestamps, sorted entries)."""
    deps = tmp_path / "deps"
    (deps / "pydantic").mkdir(parents=True)
    (deps / "pydantic" / "__init__.py").write_text("")
    first = package.build(tmp_path / "a", deps)[0].read_bytes()

    assert package.build(tmp_path / "b", deps)[0].read_bytes() == first


# -- the report function ---------------------------------------------------------------------------


def test_a_daily_timer_triggers_the_report(template: Doc) -> None:
    """One enabled timer on the report, on the schedule parameter."""
    assert [(t["CronExpression"], t["Enable"]) for t in _timers(template, "report")] == [
        ({"Ref": "ReportSchedule"}, True)
    ]


def test_report_settings_load_and_read_the_archive_the_archive_writes(template: Doc) -> None:
    """The report's environment loads, names the archive's object store and its bus."""
    report, shared = report_settings.load(_environment(template, "report"))
    settings = config.load(shared)
    archive = config.load(_environment(template, "archive"))

    assert (settings.object_store, settings.event_bus) == (archive.object_store, archive.event_bus)
    assert report.days == int(_parameters(template)["ReportDays"])


def test_report_rule_posts_the_messages_dingtalk_body(template: Doc) -> None:
    """The rule takes the report events vpndiag publishes and hands DingTalk the body the
    message carries ready-made."""
    (rule,) = [
        r
        for r in _rule_targets(template, "vpndiag", AlertDingTalkWebhook="https://example.com/r")
        if r["FilterPattern"]["type"] == [report_message.TYPE]
    ]
    (target,) = rule["Targets"]
    body = {p["ResourceKey"]: p for p in target["ParamList"]}["Body"]

    assert rule["FilterPattern"]["source"] == [health_events.SOURCE]
    assert (target["Type"], body["Form"], body["Value"]) == (
        "acs.dingtalk",
        "JSONPATH",
        "$.data.dingtalk",
    )


# -- SLS as code: every query names only fields the records carry -----------------------------------

# The SQL vocabulary the queries use; a word outside it and outside the record fields fails the
# tests below, so a misspelt field cannot pass for a function.
_SQL_WORDS = frozenset(
    (
        *("select", "from", "where", "group", "by", "order", "having", "limit", "as"),
        *("and", "or", "not", "desc", "asc", "distinct", "log", "count", "count_if"),
        *("max", "min", "avg", "sum", "round", "arbitrary", "max_by", "min_by"),
        *("approx_distinct", "nullif", "if", "try_cast", "cast", "double"),
        *("json_extract_scalar", "date_trunc", "to_unixtime", "now"),
    )
)
_BUILTIN = frozenset({"__time__"})
_WORD = r"[A-Za-z_][A-Za-z0-9_]*"


def _queries(template: Doc) -> dict[str, str]:
    """Every SLS query in the template, by where it is."""
    found = {}
    for name, resource in template["Resources"].items():
        properties = resource["Properties"]
        if resource["Type"] == "ALIYUN::SLS::Savedsearch":
            found[name] = properties["Detail"]["SearchQuery"]
        elif resource["Type"] == "ALIYUN::SLS::Dashboard":
            for chart in properties["Charts"]:
                found[f"{name}: {chart['title']}"] = chart["search"]["query"]
        elif resource["Type"] == "ALIYUN::SLS::Alert":
            for n, query in enumerate(properties["Detail"]["Configuration"]["QueryList"]):
                found[f"{name}[{n}]"] = query["Query"]
    return found


def _search_fields(query: str) -> set[str]:
    search = query.partition("|")[0]
    return set(re.findall(rf"({_WORD})\s*:", search))


def _sql_names(query: str) -> tuple[set[str], set[str]]:
    """(every name the SQL part reads: fields, or columns it made; the columns it makes with
    ``as``)."""
    sql = re.sub(r"'[^']*'", "''", query.partition("|")[2])
    aliases = {
        a for a in re.findall(rf"\bas\s+({_WORD})", sql, re.IGNORECASE) if a not in _SQL_WORDS
    }
    reads = re.sub(rf"\bas\s+{_WORD}", " ", sql, flags=re.IGNORECASE)
    quoted = set(re.findall(r'"([^"]+)"', reads))
    words = set(re.findall(_WORD, re.sub(r'"[^"]*"', " ", reads)))
    return {w for w in words if w.lower() not in _SQL_WORDS} - _BUILTIN | quoted, aliases


def _index(template: Doc) -> dict[str, Doc]:
    (records_index, _) = _resources_of_type(template, "ALIYUN::SLS::Index")
    return {k["Name"]: k for k in records_index["Properties"]["KeyIndices"]}


def test_the_template_has_the_sls_resources(template: Doc) -> None:
    """Three saved searches, one dashboard, two alerts; every one with a query."""
    kinds = [
        r["Type"] for r in template["Resources"].values() if r["Type"].startswith("ALIYUN::SLS")
    ]

    assert (kinds.count("ALIYUN::SLS::Savedsearch"), kinds.count("ALIYUN::SLS::Dashboard")) == (
        3,
        1,
    )
    assert kinds.count("ALIYUN::SLS::Alert") == 2
    assert all(query.strip() for query in _queries(template).values())


def test_every_query_names_only_fields_the_records_carry(template: Doc) -> None:
    """Search and SQL alike: each field a query reads is one records.py writes."""
    fields = _record_fields()
    for where, query in _queries(template).items():
        reads, made = _sql_names(query)
        named = _search_fields(query) | (reads - made)
        assert named <= fields, f"{where}: {sorted(named - fields)}"


def test_every_field_sql_reads_is_indexed_for_analysis(template: Doc) -> None:
    """SLS analyses only fields indexed with EnableAnalytics; searches need them indexed."""
    index = _index(template)
    for where, query in _queries(template).items():
        reads = _sql_names(query)[0] & set(index)
        analysed = {f for f in reads if not index[f]["EnableAnalytics"]}
        assert not analysed, f"{where}: {sorted(analysed)}"
        assert _search_fields(query) <= set(index), where


def test_queries_ask_for_record_types_the_archive_writes(template: Doc) -> None:
    """``record_type: x`` names a type records.py writes (check, summary, transition)."""
    written = {"check", "summary", "transition"}
    for where, query in _queries(template).items():
        asked = set(re.findall(r"record_type:\s*(\w+)", query))
        assert asked, where
        assert asked <= written, where


def test_saved_searches_and_charts_read_the_records(template: Doc) -> None:
    """Every saved search and chart reads the records logstore under the records' topic."""
    parameters = _parameters(template)
    logstore = parameters["RecordsLogstore"]
    for resource in template["Resources"].values():
        if resource["Type"] == "ALIYUN::SLS::Savedsearch":
            detail = _resolve(resource["Properties"]["Detail"], parameters)
            assert (detail["Logstore"], detail["Topic"]) == (logstore, TOPIC)
        elif resource["Type"] == "ALIYUN::SLS::Dashboard":
            for chart in _resolve(resource["Properties"]["Charts"], parameters):
                search = chart["search"]
                assert (search["logstore"], search["topic"]) == (logstore, TOPIC)


def _alerts(template: Doc, **given: str) -> list[Doc]:
    return [
        _resolve(r["Properties"]["Detail"], _parameters(template, **given), template)
        for r in _resources_of_type(template, "ALIYUN::SLS::Alert")
    ]


def test_alerts_fire_on_transition_records_and_resolve(template: Doc) -> None:
    """Each alert reads the transition records of the records logstore, one alert per connection,
    and notifies its resolution too."""
    logstore = _parameters(template)["RecordsLogstore"]
    for alert in _alerts(template):
        configuration = alert["Configuration"]
        (query,) = configuration["QueryList"]
        assert query["Store"] == logstore
        assert "record_type: transition" in query["Query"]
        assert configuration["GroupConfiguration"]["Fields"] == ["connection_id"]
        assert configuration["SendResolved"] is True


def test_alert_annotations_name_columns_their_query_returns(template: Doc) -> None:
    """``${x}`` in a title or description is a column of the alert's query."""
    for alert in _alerts(template):
        configuration = alert["Configuration"]
        (query,) = configuration["QueryList"]
        named, aliases = _sql_names(query["Query"])
        used = {
            variable
            for annotation in configuration["Annotations"]
            for variable in re.findall(rf"\$\{{({_WORD})\}}", annotation["Value"])
        }
        assert used <= named | aliases, alert["Name"]


def test_alerts_notify_through_the_action_policy_parameter(template: Doc) -> None:
    """The notification target is the deployer's to choose: the action policy parameter's."""
    for alert in _alerts(template, AlertActionPolicy="my-policy"):
        policy = alert["Configuration"]["PolicyConfiguration"]
        assert policy["ActionPolicyId"] == "my-policy"


def test_alerts_notify_no_one_without_an_action_policy(template: Doc) -> None:
    """With the parameter empty (its default) no alert names an action policy: nothing is sent
    to a placeholder."""
    assert _parameters(template)["AlertActionPolicy"] == ""
    for alert in _alerts(template):
        assert "PolicyConfiguration" not in alert["Configuration"]


def test_dingtalk_rules_exist_only_with_a_webhook(template: Doc) -> None:
    """Without AlertDingTalkWebhook (empty by default) no rule posts to DingTalk."""
    rules = _rules(template)

    assert _parameters(template)["AlertDingTalkWebhook"] == ""
    assert not [t for r in rules for t in r["Targets"] if t["Type"] == "acs.dingtalk"]


def test_every_parameter_is_described(template: Doc) -> None:
    """Each parameter says what it is for."""
    assert not [n for n, p in template["Parameters"].items() if not p.get("Description")]


def test_every_parameter_is_documented(template: Doc) -> None:
    """docs/deploy.md's parameter table names every parameter."""
    documented = (ROOT / "docs" / "deploy.md").read_text()

    assert not [n for n in template["Parameters"] if f"`{n}`" not in documented]

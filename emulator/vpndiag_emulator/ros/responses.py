"""ROS action handlers: request parameters and answer fields as the official SDK models name them
(``alibabacloud_ros20190910.models``: ``CreateStackRequest`` sends ``Parameters.N.ParameterKey`` /
``ParameterValue``, ``Tags.N.Key`` / ``Value``, ``TemplateBody`` in the form body; GetStack answers
``Status``, ``StatusReason``, ``Outputs``, ``Parameters``, ...). Times are UTC
``YYYY-MM-DDThh:mm:ss`` without the Z, as the SDK's field docs say.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Final

from vpndiag_emulator.core.rpc import JsonObject, RpcCall

from . import errors
from .models import RosBackend, Stack, StackResource
from .parameters import ParameterError, resolve_parameters, shown_value
from .template import TemplateFormatError, load_template
from .validate import validate_template

VERSION: Final = "2019-09-10"
_MAX_PAGE_SIZE: Final = 50


def _time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def _backend(call: RpcCall) -> RosBackend:
    return call.cloud.ros(call.required("RegionId"), call.account_id)


def _given(call: RpcCall) -> dict[str, str]:
    items = call.indexed("Parameters", ("ParameterKey", "ParameterValue"))
    return {
        item["ParameterKey"]: item.get("ParameterValue", "")
        for item in items
        if "ParameterKey" in item
    }


def _boolean(call: RpcCall, name: str) -> bool:
    value = call.optional(name)
    if value is None:
        return False
    if value.lower() not in ("true", "false"):
        raise errors.invalid_parameter(name, "it must be true or false")
    return value.lower() == "true"


def _checked(
    call: RpcCall, *, format_code: str, given: Mapping[str, str] | None
) -> tuple[dict[str, Any], dict[str, object]]:
    """The template of ``TemplateBody``, refused as ROS would, and its typed parameters."""
    if call.optional("TemplateURL") is not None and call.optional("TemplateBody") is None:
        raise errors.invalid_parameter("TemplateURL", "the emulated ROS takes TemplateBody only")
    body = call.required("TemplateBody")
    try:
        template = load_template(body)
    except TemplateFormatError as error:
        raise errors.invalid_template(format_code, str(error)) from None
    if not isinstance(template, dict):
        raise errors.invalid_template(format_code, "the template is not a mapping")
    problems = validate_template(template, parameters=given)
    if problems:
        first = problems[0]
        more = f" ({len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise errors.invalid_template(first.code, f"{first.path}: {first.message}{more}")
    try:
        values = resolve_parameters(template.get("Parameters") or {}, given or {})
    except ParameterError as error:
        raise errors.invalid_template("StackValidationFailed", str(error)) from None
    return template, values


def validate_template_action(call: RpcCall) -> JsonObject:
    """ValidateTemplate: Description, Parameters, Outputs, ResourceTypes, Resources."""
    template, _ = _checked(call, format_code="InvalidTemplate", given=None)
    parameters = []
    for key, definition in (template.get("Parameters") or {}).items():
        item: dict[str, object] = {
            "ParameterKey": key,
            "Type": definition.get("Type", "String"),
            "Description": definition.get("Description", ""),
            "Label": definition.get("Label", key),
            "NoEcho": str(definition.get("NoEcho", False)).lower(),
        }
        for name in (
            "Default",
            "AllowedValues",
            "AllowedPattern",
            "MinValue",
            "MaxValue",
            "MinLength",
            "MaxLength",
            "ConstraintDescription",
        ):
            if name in definition:
                item[name] = definition[name]
        parameters.append(item)
    resources = template.get("Resources") or {}
    return {
        "Description": template.get("Description", ""),
        "Parameters": parameters,
        "Outputs": [
            {
                "OutputKey": key,
                "Description": output.get("Description", ""),
                "Label": output.get("Label", key),
            }
            for key, output in (template.get("Outputs") or {}).items()
        ],
        "ResourceTypes": {
            "Resources": sorted({str(body.get("Type")) for body in resources.values()}),
            "DataSources": [],
        },
        "Resources": [
            {
                "LogicalResourceIdPattern": name,
                "ResourcePath": name,
                "ResourceType": body.get("Type"),
            }
            for name, body in resources.items()
        ],
    }


def create_stack(call: RpcCall) -> JsonObject:
    """CreateStack: deploys synchronously; GetStack shows the outcome right away."""
    backend = _backend(call)
    name = call.required("StackName")
    given = _given(call)
    template, values = _checked(call, format_code="InvalidSchema", given=given)
    stack = backend.create_stack(
        name,
        template,
        values,
        given,
        disable_rollback=_boolean(call, "DisableRollback"),
        timeout_in_minutes=call.integer("TimeoutInMinutes", default=60, minimum=10, maximum=1440),
        tags=call.indexed("Tags", ("Key", "Value")),
    )
    return {"StackId": stack.stack_id}


def update_stack(call: RpcCall) -> JsonObject:
    """UpdateStack: a new TemplateBody and parameters (UsePreviousParameters keeps the old)."""
    backend = _backend(call)
    stack = backend.stack(call.required("StackId"))
    given = _given(call)
    if _boolean(call, "UsePreviousParameters"):
        given = {**stack.given, **given}
    template, values = _checked(call, format_code="InvalidSchema", given=given)
    backend.update_stack(stack.stack_id, template, values, given)
    return {"StackId": stack.stack_id}


def delete_stack(call: RpcCall) -> JsonObject:
    """DeleteStack: resources deleted in reverse order; the stack reads DELETE_COMPLETE."""
    _backend(call).delete_stack(call.required("StackId"))
    return {}


def _summary(stack: Stack) -> JsonObject:
    return {
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "RegionId": stack.region,
        "Status": stack.status,
        "StatusReason": stack.status_reason,
        "CreateTime": _time(stack.created),
        "UpdateTime": _time(stack.updated),
        "DisableRollback": stack.disable_rollback,
        "TimeoutInMinutes": stack.timeout_in_minutes,
        "StackType": "ROS",
        "DeletionProtection": "Disabled",
        "Tags": stack.tags,
    }


def get_stack(call: RpcCall) -> JsonObject:
    """GetStack: the stack with its Parameters (NoEcho masked, pseudo parameters included as
    ROS lists them) and, unless OutputOption=Disabled, its Outputs."""
    backend = _backend(call)
    stack = backend.stack(call.required("StackId"))
    declared: Mapping[str, Any] = stack.template.get("Parameters") or {}
    parameters = [
        {"ParameterKey": key, "ParameterValue": shown_value(declared[key], value)}
        for key, value in stack.parameters.items()
    ]
    parameters += [
        {"ParameterKey": key, "ParameterValue": value}
        for key, value in (
            ("ALIYUN::StackName", stack.name),
            ("ALIYUN::StackId", stack.stack_id),
            ("ALIYUN::Region", stack.region),
            ("ALIYUN::AccountId", backend.account_id),
        )
    ]
    answer: JsonObject = {
        **_summary(stack),
        "Description": stack.template.get("Description", ""),
        "TemplateDescription": stack.template.get("Description", ""),
        "Parameters": parameters,
        "NotificationURLs": [],
    }
    if call.optional("OutputOption") != "Disabled":
        answer["Outputs"] = stack.outputs
    return answer


def list_stacks(call: RpcCall) -> JsonObject:
    """ListStacks: filters StackName.N, StackId, Status.N; paging. Deleted stacks are listed
    only when a Status filter asks for DELETE_COMPLETE (inferred)."""
    backend = _backend(call)
    names = _repeated(call, "StackName")
    statuses = _repeated(call, "Status")
    stack_id = call.optional("StackId")
    found = [
        s
        for s in backend.stacks()
        if (not names or s.name in names)
        and (s.status in statuses if statuses else s.live)
        and (stack_id is None or s.stack_id == stack_id)
    ]
    number = call.integer("PageNumber", default=1, minimum=1)
    size = call.integer("PageSize", default=10, minimum=1, maximum=_MAX_PAGE_SIZE)
    page = found[(number - 1) * size : number * size]
    return {
        "TotalCount": len(found),
        "PageNumber": number,
        "PageSize": size,
        "Stacks": [_summary(s) for s in page],
    }


def list_stack_events(call: RpcCall) -> JsonObject:
    """ListStackEvents: newest first; filters LogicalResourceId.N, ResourceType.N, Status.N."""
    stack = _backend(call).stack(call.required("StackId"))
    logical = _repeated(call, "LogicalResourceId")
    types = _repeated(call, "ResourceType")
    statuses = _repeated(call, "Status")
    events = [
        e
        for e in reversed(stack.events)
        if (not logical or e.logical_id in logical)
        and (not types or e.resource_type in types)
        and (not statuses or e.status in statuses)
    ]
    number = call.integer("PageNumber", default=1, minimum=1)
    size = call.integer("PageSize", default=10, minimum=1, maximum=_MAX_PAGE_SIZE)
    return {
        "TotalCount": len(events),
        "PageNumber": number,
        "PageSize": size,
        "Events": [
            {
                "EventId": e.event_id,
                "StackId": stack.stack_id,
                "StackName": stack.name,
                "LogicalResourceId": e.logical_id,
                "PhysicalResourceId": e.physical_id,
                "ResourceType": e.resource_type,
                "Status": e.status,
                "StatusReason": e.status_reason,
                "CreateTime": _time(e.created),
            }
            for e in events[(number - 1) * size : number * size]
        ],
    }


def _resource_json(stack: Stack, resource: StackResource) -> JsonObject:
    return {
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "LogicalResourceId": resource.logical_id,
        "PhysicalResourceId": resource.provisioned.physical_id,
        "ResourceType": resource.resource_type,
        "Status": resource.status,
        "StatusReason": resource.status_reason,
        "CreateTime": _time(resource.created),
        "UpdateTime": _time(resource.updated),
        "ResourceDriftStatus": "NOT_CHECKED",
    }


def list_stack_resources(call: RpcCall) -> JsonObject:
    """ListStackResources: every created resource, in creation order."""
    stack = _backend(call).stack(call.required("StackId"))
    return {"Resources": [_resource_json(stack, r) for r in stack.resources.values()]}


def get_stack_resource(call: RpcCall) -> JsonObject:
    """GetStackResource; with ShowResourceAttributes=true, ResourceAttributes [{Key, Value}]."""
    stack = _backend(call).stack(call.required("StackId"))
    logical_id = call.required("LogicalResourceId")
    resource = stack.resources.get(logical_id)
    if resource is None:
        raise errors.resource_not_found(logical_id, stack.name)
    answer = {
        **_resource_json(stack, resource),
        "Description": (stack.template.get("Resources") or {})
        .get(logical_id, {})
        .get("Description", ""),
    }
    if _boolean(call, "ShowResourceAttributes"):
        answer["ResourceAttributes"] = [
            {"Key": key, "Value": value} for key, value in resource.provisioned.attributes.items()
        ]
    return answer


def _repeated(call: RpcCall, prefix: str) -> list[str]:
    """``Prefix.N`` list parameters, as the SDK flattens lists."""
    found = {
        int(name[len(prefix) + 1 :]): value
        for name, value in call.params.items()
        if name.startswith(prefix + ".") and name[len(prefix) + 1 :].isdigit() and value
    }
    return [found[n] for n in sorted(found)]


ACTIONS: Final = {
    "ValidateTemplate": validate_template_action,
    "CreateStack": create_stack,
    "UpdateStack": update_stack,
    "GetStack": get_stack,
    "ListStacks": list_stacks,
    "DeleteStack": delete_stack,
    "ListStackEvents": list_stack_events,
    "ListStackResources": list_stack_resources,
    "GetStackResource": get_stack_resource,
}

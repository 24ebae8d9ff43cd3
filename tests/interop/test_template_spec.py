"""template.yml against the vendor's ROS resource spec: valid as it is, and each one-edit breakage
found and named.

The broken copies find their target generically (the first ALIYUN::FC::Function, the first timer
trigger, the first Ref, ...) so they hold whatever the template's resource names are.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ROOT
from vpndiag_emulator.ros.spec import load_spec
from vpndiag_emulator.ros.template import load_template
from vpndiag_emulator.ros.validate import TemplateProblem, validate_template


@pytest.fixture
def template() -> dict[str, Any]:
    return copy.deepcopy(load_template((ROOT / "template.yml").read_text(encoding="utf-8")))


def _first(template: dict[str, Any], type_name: str) -> tuple[str, dict[str, Any]]:
    for name, resource in template["Resources"].items():
        if resource.get("Type") == type_name:
            return name, resource
    raise AssertionError(f"template.yml has no {type_name}")


def _calls(value: object, name: str) -> Iterator[dict[str, Any]]:
    """Every {name: ...} function call inside a value, in document order."""
    if isinstance(value, dict):
        if set(value) == {name}:
            yield value
        for item in value.values():
            yield from _calls(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _calls(item, name)


def _problem(problems: list[TemplateProblem], path: str) -> TemplateProblem:
    found = [p for p in problems if p.path == path]
    assert found, f"no problem at {path}: {problems}"
    return found[0]


def test_template_is_valid(template: dict[str, Any]) -> None:
    """The repository's template.yml has no problem ROS (or FC creating its triggers) would find."""
    assert validate_template(template) == []


def test_misspelt_property_is_named_with_its_correction(template: dict[str, Any]) -> None:
    """A misspelt property of the first FC function is refused, and the right name suggested."""
    name, function = _first(template, "ALIYUN::FC::Function")
    function["Properties"]["Handlr"] = function["Properties"].pop("Handler")
    problem = _problem(validate_template(template), f"Resources.{name}.Properties.Handlr")
    assert "Handlr" in problem.message
    assert "did you mean Handler?" in problem.message


def test_missing_required_property_is_named(template: dict[str, Any]) -> None:
    """Dropping a required property of the first FC function is refused, naming it."""
    name, function = _first(template, "ALIYUN::FC::Function")
    required = [
        p
        for p, spec in load_spec().resources["ALIYUN::FC::Function"].properties.items()
        if spec.required and p in function["Properties"]
    ]
    del function["Properties"][required[0]]
    problem = _problem(validate_template(template), f"Resources.{name}.Properties.{required[0]}")
    assert f"required property {required[0]}" in problem.message


def test_event_bus_type_does_not_exist(template: dict[str, Any]) -> None:
    """ALIYUN::EventBridge::EventBus is refused as not a ROS resource type."""
    name, rule = _first(template, "ALIYUN::EventBridge::Rule")
    rule["Type"] = "ALIYUN::EventBridge::EventBus"
    problem = _problem(validate_template(template), f"Resources.{name}.Type")
    assert "ALIYUN::EventBridge::EventBus is not a ROS resource type" in problem.message


def test_five_field_cron_in_a_timer_trigger(template: dict[str, Any]) -> None:
    """A five-field cron in the first timer trigger is refused (FC's cron has six, seconds first).

    FC "Time triggers": Seconds Minutes Hours Day-of-month Month Day-of-week.
    """
    timers = [
        (name, resource)
        for name, resource in template["Resources"].items()
        if resource.get("Type") == "ALIYUN::FC::Trigger"
        and resource["Properties"].get("TriggerType") == "timer"
    ]
    name, timer = timers[0]
    config = timer["Properties"]["TriggerConfig"]
    key = next(k for k in config if k.lower() == "cronexpression")
    config[key] = "0 * * * *"
    problem = _problem(
        validate_template(template), f"Resources.{name}.Properties.TriggerConfig.{key}"
    )
    assert "5 fields" in problem.message


def test_ref_to_nothing(template: dict[str, Any]) -> None:
    """The first Ref of the resources, pointed at nothing, is refused naming the target."""
    ref = next(_calls(template["Resources"], "Ref"))
    ref["Ref"] = "NoSuchThing"
    problems = [p for p in validate_template(template) if "NoSuchThing" in p.message]
    assert [p.code for p in problems] == ["InvalidTemplateReference"]


def test_get_att_of_a_missing_attribute(template: dict[str, Any]) -> None:
    """The first Fn::GetAtt, asking for an attribute its type lacks, is refused naming both."""
    get_att = next(_calls(template, "Fn::GetAtt"))
    get_att["Fn::GetAtt"] = [get_att["Fn::GetAtt"][0], "NoSuchAttribute"]
    problems = [p for p in validate_template(template) if "NoSuchAttribute" in p.message]
    assert [p.code for p in problems] == ["InvalidTemplateAttribute"]
    assert get_att["Fn::GetAtt"][0] in problems[0].message

"""Refuse what ROS would refuse: a ROS template checked against the vendor's resource spec.

``validate_template(template)`` returns every problem found (an empty list: valid), each with the
error code ROS answers with, the path of the offending element and a message naming what is wrong
and what the spec allows. ``python -m vpndiag_emulator.ros.validate FILE`` prints one problem per
line (exit 1), or "valid" (exit 0).

Vendor sources:

- Sections, version, parameter types: ROS "Template structure"
  (https://www.alibabacloud.com/help/en/ros/user-guide/template-structure) and "Parameters"
  (https://help.aliyun.com/en/ros/user-guide/overview-10).
- What template validation refuses (resource ids with "/", resource keys, Outputs without Value,
  functions in Mappings and Parameters, a Default outside its own constraints): ROS "Reasons for
  template verification failure" (https://www.alibabacloud.com/help/doc-detail/28930.htm).
- Conditions are built with Fn::And, Fn::Or, Fn::Not and Fn::Equals: ROS "Template structure".
- Resource types, properties, attributes, pseudo parameters, functions: ``spec.load_spec()``.
- Error codes: ROS's public error codes page (api-ros-2019-09-10-errorcodes) documents
  ``CircularDependency`` and ``InvalidSchema``; the others below were not readable offline and are
  inferred from ROS's Heat lineage (the exception names Heat turns into error codes).
"""

from __future__ import annotations

import difflib
import json
import math
import re
import sys
import zoneinfo
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vpndiag_emulator.ros.spec import PropertySpec, Spec, SpecUnavailable, load_spec
from vpndiag_emulator.ros.template import TemplateFormatError, load_template

# -- codes ----------------------------------------------------------------------------------------
CIRCULAR_DEPENDENCY = "CircularDependency"  # documented
INVALID_SCHEMA = "InvalidSchema"  # documented ("{reason}"): a parameter's own definition
INVALID_VERSION = "InvalidTemplateVersion"  # inferred
INVALID_SECTION = "InvalidTemplateSection"  # inferred
INVALID_REFERENCE = "InvalidTemplateReference"  # inferred: Ref / GetAtt / Sub of nothing
INVALID_ATTRIBUTE = "InvalidTemplateAttribute"  # inferred: GetAtt of an attribute not in the spec
STACK_VALIDATION_FAILED = "StackValidationFailed"  # inferred: resources, properties, functions
UNKNOWN_USER_PARAMETER = "UnknownUserParameter"  # inferred: a given parameter not in the template
USER_PARAMETER_MISSING = "UserParameterMissing"  # inferred: no value and no Default
# What FC answers when ROS creates a trigger it refuses (the stack fails, not the validation).
# inferred: FC's generic 400 code for a malformed request field.
FC_INVALID_ARGUMENT = "InvalidArgument"

FORMAT_VERSION = "2015-09-01"
SECTIONS = (
    "ROSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Mappings",
    "Conditions",
    "Resources",
    "Outputs",
    "Rules",
)
PARAMETER_TYPES = (
    "String",
    "Number",
    "CommaDelimitedList",
    "Json",
    "Boolean",
    "ALIYUN::OOS::Parameter::Value",
    "ALIYUN::OOS::SecretParameter::Value",
)
# The keys a resource definition may hold (doc-detail/28930), plus Condition (ROS "Conditions":
# resources are created only when their condition holds) and Count (the count feature the
# ALIYUN::Index pseudo parameter exists for; inferred from ros-cdk-core's RosResource.count).
RESOURCE_KEYS = (
    "Type",
    "Properties",
    "Metadata",
    "DependsOn",
    "DeletionPolicy",
    "Description",
    "Condition",
    "Count",
)
DELETION_POLICIES = ("Delete", "Retain")  # inferred: ros-cdk-core's RosDeletionPolicy values
# Conditions are Fn::And/Or/Not/Equals (documented) over parameters; a condition may name another
# (inferred, as in the Heat lineage); the core's other boolean functions are accepted (inferred).
CONDITION_FUNCTIONS = frozenset(
    {
        "Fn::And",
        "Fn::Or",
        "Fn::Not",
        "Fn::Equals",
        "Condition",
        "Fn::Contains",
        "Fn::Any",
        "Fn::EachMemberIn",
        "Fn::MatchPattern",
    }
)


@dataclass(frozen=True)
class TemplateProblem:
    code: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.code} {self.path}: {self.message}"


def validate_template(
    template: Mapping[str, Any],
    *,
    spec: Spec | None = None,
    parameters: Mapping[str, str] | None = None,
) -> list[TemplateProblem]:
    """Every problem ROS would find in the template (and the given parameter values, if any)."""
    checker = _Checker(template, spec or load_spec())
    checker.check_sections()
    checker.check_parameters(parameters)
    checker.check_mappings()
    checker.check_conditions()
    checker.check_resources()
    checker.check_outputs()
    checker.check_dependency_cycles()
    return [*checker.problems, *platform_problems(template, parameters=parameters)]


# -- the checker ----------------------------------------------------------------------------------


def _closest(name: str, candidates: Sequence[str] | frozenset[str], *, cutoff: float = 0.75) -> str:
    """ " (did you mean X?)" for a likely misspelling, else ""."""
    by_lower = {c.lower(): c for c in candidates}
    match = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=cutoff)
    return f" (did you mean {by_lower[match[0]]}?)" if match else ""


def _intrinsic(value: object) -> tuple[str, Any] | None:
    """(name, arguments) when the value is a function call: a one-key mapping of Ref/Fn::*."""
    if isinstance(value, Mapping) and len(value) == 1:
        (key, args), *_ = value.items()
        if key in ("Ref", "Condition") or (isinstance(key, str) and key.startswith("Fn::")):
            return key, args
    return None


def _section(template: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = template.get(name)
    return value if isinstance(value, Mapping) else {}


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class _Checker:
    def __init__(self, template: Mapping[str, Any], spec: Spec) -> None:
        self.template = template
        self.spec = spec
        self.problems: list[TemplateProblem] = []
        self.parameters = _section(template, "Parameters")
        self.conditions = _section(template, "Conditions")
        self.resources = _section(template, "Resources")

    def problem(self, code: str, path: str, message: str) -> None:
        self.problems.append(TemplateProblem(code, path, message))

    # -- sections ---------------------------------------------------------------------------------

    def check_sections(self) -> None:
        version = self.template.get("ROSTemplateFormatVersion")
        if version != FORMAT_VERSION:
            found = "missing" if version is None else f"{version!r}"
            self.problem(
                INVALID_VERSION,
                "ROSTemplateFormatVersion",
                f"ROSTemplateFormatVersion is {found}; ROS supports '{FORMAT_VERSION}'",
            )
        for name in self.template:
            if name == "Transform":
                self.problem(
                    INVALID_SECTION,
                    "Transform",
                    f"Transform {self.template[name]!r}: the emulated ROS cannot expand transforms "
                    "(the serverless transform is closed source); write native ALIYUN:: resources",
                )
            elif name not in SECTIONS:
                self.problem(
                    INVALID_SECTION,
                    str(name),
                    f"unknown top-level section {name!r}{_closest(str(name), SECTIONS)}; "
                    f"ROS allows {', '.join(SECTIONS)}",
                )
        for name in ("Parameters", "Mappings", "Conditions", "Resources", "Outputs", "Rules"):
            if name in self.template and not isinstance(self.template[name], Mapping):
                self.problem(INVALID_SECTION, name, f"{name} must be a mapping")

    # -- parameters -------------------------------------------------------------------------------

    def check_parameters(self, given: Mapping[str, str] | None) -> None:
        for name, definition in self.parameters.items():
            path = f"Parameters.{name}"
            if not isinstance(definition, Mapping):
                self.problem(INVALID_SCHEMA, path, f"parameter {name} must be a mapping")
                continue
            self._check_parameter_definition(name, definition, path)
        if given is None:
            return
        for name, value in given.items():
            if name not in self.parameters:
                self.problem(
                    UNKNOWN_USER_PARAMETER,
                    f"Parameters.{name}",
                    f"parameter {name} is not defined in the template"
                    f"{_closest(name, list(self.parameters))}",
                )
            elif isinstance(self.parameters[name], Mapping):
                for reason in _parameter_value_problems(self.parameters[name], value):
                    self.problem(
                        STACK_VALIDATION_FAILED,
                        f"Parameters.{name}",
                        f"value {value!r} of parameter {name}: {reason}",
                    )
        for name, definition in self.parameters.items():
            if (
                name not in given
                and isinstance(definition, Mapping)
                and "Default" not in definition
            ):
                self.problem(
                    USER_PARAMETER_MISSING,
                    f"Parameters.{name}",
                    f"parameter {name} has no Default and no value was given",
                )

    def _check_parameter_definition(
        self, name: str, definition: Mapping[str, Any], path: str
    ) -> None:
        kind = definition.get("Type")
        if kind not in PARAMETER_TYPES:
            self.problem(
                INVALID_SCHEMA,
                f"{path}.Type",
                f"parameter {name} has Type {kind!r}; ROS parameter types are "
                f"{', '.join(PARAMETER_TYPES)}",
            )
        for key, value in definition.items():
            if self._contains_function(value):
                self.problem(
                    INVALID_SCHEMA, f"{path}.{key}", "functions cannot be used in Parameters"
                )
        for low, high in (("MinValue", "MaxValue"), ("MinLength", "MaxLength")):
            numbers = {}
            for key in (low, high):
                if key in definition:
                    numbers[key] = _as_number(definition[key])
                    if numbers[key] is None:
                        self.problem(
                            INVALID_SCHEMA,
                            f"{path}.{key}",
                            f"{key} {definition[key]!r} of parameter {name} is not a number",
                        )
            low_number, high_number = numbers.get(low), numbers.get(high)
            if low_number is not None and high_number is not None and low_number > high_number:
                self.problem(
                    INVALID_SCHEMA,
                    path,
                    f"parameter {name}: {low} {_plain(low_number)} is greater than "
                    f"{high} {_plain(high_number)}",
                )
        allowed = definition.get("AllowedValues")
        if allowed is not None and not isinstance(allowed, list):
            self.problem(INVALID_SCHEMA, f"{path}.AllowedValues", "AllowedValues must be a list")
        pattern = definition.get("AllowedPattern")
        if pattern is not None:
            try:
                re.compile(str(pattern))
            except re.error as exc:
                self.problem(
                    INVALID_SCHEMA,
                    f"{path}.AllowedPattern",
                    f"AllowedPattern does not compile: {exc}",
                )
                return
        if "Default" in definition:
            for reason in _parameter_value_problems(definition, definition["Default"]):
                self.problem(
                    INVALID_SCHEMA,
                    f"{path}.Default",
                    f"Default {definition['Default']!r} of parameter {name}: {reason}",
                )

    # -- mappings and conditions ------------------------------------------------------------------

    def check_mappings(self) -> None:
        for name, mapping in _section(self.template, "Mappings").items():
            if self._contains_function(mapping):
                self.problem(
                    STACK_VALIDATION_FAILED,
                    f"Mappings.{name}",
                    "functions cannot be used in Mappings",
                )

    def check_conditions(self) -> None:
        for name, expression in self.conditions.items():
            path = f"Conditions.{name}"
            call = _intrinsic(expression)
            if call is None or call[0] not in CONDITION_FUNCTIONS:
                found = call[0] if call else type(expression).__name__
                self.problem(
                    STACK_VALIDATION_FAILED,
                    path,
                    f"condition {name} is {found}; a condition is built with "
                    f"{', '.join(sorted(CONDITION_FUNCTIONS))}",
                )
                continue
            self.check_value(expression, path, in_condition=True)

    # -- resources --------------------------------------------------------------------------------

    def check_resources(self) -> None:
        if "Resources" not in self.template:
            return
        for name, resource in self.resources.items():
            path = f"Resources.{name}"
            if "/" in str(name):
                self.problem(STACK_VALIDATION_FAILED, path, f"resource id {name!r} contains '/'")
            if not isinstance(resource, Mapping):
                self.problem(STACK_VALIDATION_FAILED, path, f"resource {name} must be a mapping")
                continue
            for key in resource:
                if key not in RESOURCE_KEYS:
                    self.problem(
                        STACK_VALIDATION_FAILED,
                        f"{path}.{key}",
                        f"resource {name} has an unknown key {key!r}{_closest(str(key), RESOURCE_KEYS)}; "
                        f"a resource holds {', '.join(RESOURCE_KEYS)}",
                    )
            self._check_resource_keys(name, resource, path)
            self._check_resource_properties(name, resource, path)

    def _check_resource_keys(self, name: str, resource: Mapping[str, Any], path: str) -> None:
        depends = resource.get("DependsOn")
        if depends is not None:
            targets = [depends] if isinstance(depends, str) else depends
            if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
                self.problem(
                    STACK_VALIDATION_FAILED,
                    f"{path}.DependsOn",
                    "DependsOn is a resource name or a list of resource names",
                )
            else:
                for target in targets:
                    if target not in self.resources or target == name:
                        self.problem(
                            INVALID_REFERENCE,
                            f"{path}.DependsOn",
                            f"DependsOn {target}: no other resource of that name"
                            f"{_closest(target, list(self.resources))}",
                        )
        condition = resource.get("Condition")
        if condition is not None and condition not in self.conditions:
            self.problem(
                STACK_VALIDATION_FAILED,
                f"{path}.Condition",
                f"Condition {condition!r} is not defined in Conditions"
                f"{_closest(str(condition), list(self.conditions))}",
            )
        policy = resource.get("DeletionPolicy")
        if policy is not None and policy not in DELETION_POLICIES:
            self.problem(
                STACK_VALIDATION_FAILED,
                f"{path}.DeletionPolicy",
                f"DeletionPolicy {policy!r}; ROS allows {', '.join(DELETION_POLICIES)}",
            )
        if "Count" in resource:
            self.check_value(resource["Count"], f"{path}.Count")

    def _check_resource_properties(self, name: str, resource: Mapping[str, Any], path: str) -> None:
        type_name = resource.get("Type")
        properties = resource.get("Properties", {})
        if not isinstance(type_name, str):
            self.problem(
                STACK_VALIDATION_FAILED, f"{path}.Type", f"resource {name} has no string Type"
            )
            return
        spec = self.spec.resources.get(type_name)
        if spec is None:
            self.problem(
                STACK_VALIDATION_FAILED,
                f"{path}.Type",
                f"{type_name} is not a ROS resource type"
                f"{_closest(type_name, list(self.spec.resources), cutoff=0.9)}"
                f"{_same_namespace(type_name, self.spec)}",
            )
            self.check_value(properties, f"{path}.Properties")
            return
        if not isinstance(properties, Mapping):
            if _intrinsic(properties) is None:
                self.problem(
                    STACK_VALIDATION_FAILED, f"{path}.Properties", "Properties must be a mapping"
                )
            self.check_value(properties, f"{path}.Properties")
            return
        self._check_struct(
            properties, spec.properties, f"{path}.Properties", owner=f"{type_name} ({spec.source})"
        )

    def _check_struct(
        self,
        value: Mapping[str, Any],
        properties: Mapping[str, PropertySpec],
        path: str,
        *,
        owner: str,
    ) -> None:
        for key, item in value.items():
            prop = properties.get(str(key))
            if prop is None:
                self.problem(
                    STACK_VALIDATION_FAILED,
                    f"{path}.{key}",
                    f"unknown property {key} of {owner}{_closest(str(key), list(properties))}",
                )
                self.check_value(item, f"{path}.{key}")
            else:
                self.check_property(item, prop, f"{path}.{key}")
        for name, prop in properties.items():
            if prop.required and name not in value:
                self.problem(
                    STACK_VALIDATION_FAILED,
                    f"{path}.{name}",
                    f"required property {name} of {owner} is missing",
                )

    def check_property(self, value: object, prop: PropertySpec, path: str) -> None:
        """A property value against its spec: its kind, then constraints on literals."""
        if _intrinsic(value) is not None:
            self.check_value(value, path)
            return
        if not _has_kind(value, prop.kind):
            self.problem(
                STACK_VALIDATION_FAILED,
                path,
                f"{prop.name} must be a {prop.kind}, not {_describe(value)}",
            )
            self.check_value(value, path)
            return
        for reason in _constraint_problems(value, prop):
            self.problem(STACK_VALIDATION_FAILED, path, f"{prop.name} {reason}")
        if prop.kind == "struct" and prop.struct is not None and isinstance(value, Mapping):
            self._check_struct(value, prop.struct.properties, path, owner=prop.struct.name)
        elif prop.kind == "list" and prop.item is not None and isinstance(value, list):
            for index, element in enumerate(value):
                self.check_property(element, prop.item, f"{path}[{index}]")
        elif prop.kind == "map" and prop.item is not None and isinstance(value, Mapping):
            for key, element in value.items():
                self.check_property(element, prop.item, f"{path}.{key}")
        else:
            self.check_value(value, path)

    # -- functions --------------------------------------------------------------------------------

    def check_value(self, value: object, path: str, *, in_condition: bool = False) -> None:
        """Every function call inside a value: known, well-formed, and naming what exists."""
        call = _intrinsic(value)
        if call is not None:
            self._check_call(call[0], call[1], path, in_condition=in_condition)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                self.check_value(item, f"{path}.{key}", in_condition=in_condition)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.check_value(item, f"{path}[{index}]", in_condition=in_condition)

    def _check_call(self, name: str, args: Any, path: str, *, in_condition: bool) -> None:
        if name == "Condition":
            if not in_condition:
                self.problem(
                    STACK_VALIDATION_FAILED, path, "Condition is a function of Conditions only"
                )
            elif args not in self.conditions:
                self.problem(
                    STACK_VALIDATION_FAILED,
                    path,
                    f"Condition {args!r} is not defined in Conditions"
                    f"{_closest(str(args), list(self.conditions))}",
                )
            return
        if name not in self.spec.functions:
            self.problem(
                STACK_VALIDATION_FAILED,
                path,
                f"unknown function {name}{_closest(name, self.spec.functions)}",
            )
            self.check_value(args, path, in_condition=in_condition)
            return
        if name == "Ref":
            self._check_ref(args, path, in_condition=in_condition)
        elif name == "Fn::GetAtt":
            self._check_get_att(args, path, in_condition=in_condition)
        elif name == "Fn::Sub":
            self._check_sub(args, path, in_condition=in_condition)
        elif name == "Fn::If":
            self._check_if(args, path, in_condition=in_condition)
        elif name == "Fn::Join" and not (
            isinstance(args, list) and len(args) == 2 and isinstance(args[0], str)
        ):
            self.problem(STACK_VALIDATION_FAILED, path, "Fn::Join takes [delimiter, [values...]]")
        else:
            self.check_value(args, path, in_condition=in_condition)

    def _check_ref(self, target: object, path: str, *, in_condition: bool) -> None:
        if not isinstance(target, str):
            self.check_value(target, path, in_condition=in_condition)
            return
        if target in self.parameters or target in self.spec.pseudo_parameters:
            return
        if target in self.resources:
            if in_condition:
                self.problem(
                    STACK_VALIDATION_FAILED,
                    path,
                    f"Ref {target}: a condition can refer to parameters only, not resource {target}",
                )
            return
        known = [*self.parameters, *self.resources, *self.spec.pseudo_parameters]
        self.problem(
            INVALID_REFERENCE,
            path,
            f"Ref {target}: no parameter, resource or pseudo parameter of that name"
            f"{_closest(target, known)}",
        )

    def _check_get_att(self, args: object, path: str, *, in_condition: bool) -> None:
        if not (isinstance(args, list) and len(args) == 2):
            self.problem(STACK_VALIDATION_FAILED, path, "Fn::GetAtt takes [resource, attribute]")
            return
        resource, attribute = args
        if not isinstance(resource, str):
            self.problem(STACK_VALIDATION_FAILED, path, "Fn::GetAtt names its resource literally")
            return
        if in_condition:
            self.problem(
                STACK_VALIDATION_FAILED, path, f"Fn::GetAtt {resource}: not in a condition"
            )
        if isinstance(attribute, str):
            self._check_attribute(resource, attribute, path, form="Fn::GetAtt")
        else:
            self.check_value(attribute, path, in_condition=in_condition)
            self._check_attribute(resource, None, path, form="Fn::GetAtt")

    def _check_attribute(
        self, resource: str, attribute: str | None, path: str, *, form: str
    ) -> None:
        definition = self.resources.get(resource)
        if not isinstance(definition, Mapping):
            self.problem(
                INVALID_REFERENCE,
                path,
                f"{form} {resource}: no resource of that name{_closest(resource, list(self.resources))}",
            )
            return
        spec = self.spec.resources.get(str(definition.get("Type")))
        if spec is None or attribute is None or attribute in spec.attributes:
            return  # an unknown Type is reported once, on the resource
        self.problem(
            INVALID_ATTRIBUTE,
            path,
            f"{form} {resource}.{attribute}: {spec.type_name} has no attribute {attribute}"
            f"{_closest(attribute, spec.attributes)}; its attributes are "
            f"{', '.join(sorted(spec.attributes))}",
        )

    def _check_sub(self, args: object, path: str, *, in_condition: bool) -> None:
        variables: Mapping[str, Any] = {}
        if isinstance(args, list) and len(args) == 2 and isinstance(args[1], Mapping):
            text, variables = args
            self.check_value(variables, path, in_condition=in_condition)
        else:
            text = args
        if not isinstance(text, str):
            self.problem(
                STACK_VALIDATION_FAILED, path, "Fn::Sub takes a string or [string, {variables}]"
            )
            return
        for variable in _SUB_VARIABLE.findall(text):
            # inferred (as in the Heat/CloudFormation lineage): "${!x}" is a literal "${x}".
            if variable.startswith("!") or variable in variables:
                continue
            resource, dot, attribute = variable.partition(".")
            if dot and variable not in self.spec.pseudo_parameters:
                self._check_attribute(resource, attribute, path, form="Fn::Sub ${...}")
            elif (
                variable not in self.parameters
                and variable not in self.resources
                and (variable not in self.spec.pseudo_parameters)
            ):
                known = [
                    *variables,
                    *self.parameters,
                    *self.resources,
                    *self.spec.pseudo_parameters,
                ]
                self.problem(
                    INVALID_REFERENCE,
                    path,
                    f"Fn::Sub ${{{variable}}}: no variable, parameter, resource or pseudo parameter "
                    f"of that name{_closest(variable, known)}",
                )

    def _check_if(self, args: object, path: str, *, in_condition: bool) -> None:
        if not (isinstance(args, list) and len(args) == 3):
            self.problem(
                STACK_VALIDATION_FAILED, path, "Fn::If takes [condition, if-true, if-false]"
            )
            return
        condition, *branches = args
        if condition not in self.conditions:
            self.problem(
                STACK_VALIDATION_FAILED,
                path,
                f"Fn::If {condition!r}: no condition of that name"
                f"{_closest(str(condition), list(self.conditions))}",
            )
        self.check_value(branches, path, in_condition=in_condition)

    def _contains_function(self, value: object) -> bool:
        if _intrinsic(value) is not None:
            return True
        if isinstance(value, Mapping):
            return any(self._contains_function(v) for v in value.values())
        if isinstance(value, list):
            return any(self._contains_function(v) for v in value)
        return False

    # -- outputs and dependencies -----------------------------------------------------------------

    def check_outputs(self) -> None:
        for name, output in _section(self.template, "Outputs").items():
            path = f"Outputs.{name}"
            if not isinstance(output, Mapping) or "Value" not in output:
                self.problem(STACK_VALIDATION_FAILED, path, f"output {name} has no Value")
                continue
            self.check_value(output["Value"], f"{path}.Value")
            condition = output.get("Condition")
            if condition is not None and condition not in self.conditions:
                self.problem(
                    STACK_VALIDATION_FAILED,
                    f"{path}.Condition",
                    f"Condition {condition!r} is not defined in Conditions",
                )

    def check_dependency_cycles(self) -> None:
        edges = {
            name: sorted(_dependencies(resource, self.resources))
            for name, resource in self.resources.items()
        }
        state: dict[str, int] = {}  # 1: on the current path, 2: done

        def visit(node: str, trail: list[str]) -> None:
            state[node] = 1
            for target in edges.get(node, []):
                if state.get(target) == 1:
                    cycle = [*trail[trail.index(target) :], target]
                    self.problem(
                        CIRCULAR_DEPENDENCY,
                        f"Resources.{node}",
                        f"circular dependency: {' -> '.join(cycle)}",
                    )
                elif target not in state:
                    visit(target, [*trail, target])
            state[node] = 2

        for name in edges:
            if name not in state:
                visit(name, [name])


def _dependencies(resource: object, resources: Mapping[str, Any]) -> set[str]:
    """The resources a resource depends on: DependsOn, Ref, Fn::GetAtt and Fn::Sub ${Res.Attr}."""
    found: set[str] = set()
    if not isinstance(resource, Mapping):
        return found
    depends = resource.get("DependsOn")
    for target in (
        [depends] if isinstance(depends, str) else depends if isinstance(depends, list) else []
    ):
        if target in resources:
            found.add(target)

    def walk(value: object) -> None:
        call = _intrinsic(value)
        if call is not None:
            name, args = call
            if name == "Ref" and isinstance(args, str) and args in resources:
                found.add(args)
            elif name == "Fn::GetAtt" and isinstance(args, list) and args and args[0] in resources:
                found.add(args[0])
            elif name == "Fn::Sub":
                text = args[0] if isinstance(args, list) and args else args
                for variable in _SUB_VARIABLE.findall(text if isinstance(text, str) else ""):
                    head = variable.partition(".")[0]
                    if head in resources:
                        found.add(head)
            walk(args)
        elif isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(resource.get("Properties"))
    return found


# -- values -------------------------------------------------------------------------------------


def _describe(value: object) -> str:
    names = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}
    for kind, label in names.items():
        if isinstance(value, kind):
            return f"{label} ({json.dumps(value, default=str)[:60]})"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"{type(value).__name__} {value!r}"


def _as_number(value: object) -> float | None:
    """A number, or a string ROS reads as one (inferred: Heat's str_to_num lenience)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _has_kind(value: object, kind: str) -> bool:
    # inferred: ROS coerces scalars as Heat does: strings accept numbers and booleans, numbers and
    # booleans accept their string forms.
    if kind == "string":
        return isinstance(value, (str, int, float))
    if kind == "number":
        return _as_number(value) is not None
    if kind == "boolean":
        return isinstance(value, bool) or (
            isinstance(value, str) and value.lower() in ("true", "false")
        )
    if kind == "list":
        return isinstance(value, list)
    if kind in ("map", "struct"):
        return isinstance(value, Mapping)
    return True


def _constraint_problems(value: object, prop: PropertySpec) -> Iterator[str]:
    """What a literal value breaks of its spec's constraints (lists: length, then each element)."""
    if isinstance(value, list):
        if prop.min_length is not None and len(value) < prop.min_length:
            yield f"has {len(value)} items; the spec allows at least {prop.min_length}"
        if prop.max_length is not None and len(value) > prop.max_length:
            yield f"has {len(value)} items; the spec allows at most {prop.max_length}"
        for element in value:
            if _intrinsic(element) is None and not isinstance(element, (list, Mapping)):
                yield from _scalar_constraint_problems(element, prop, lengths=False)
        return
    if not isinstance(value, (list, Mapping)):
        yield from _scalar_constraint_problems(value, prop, lengths=True)


def _scalar_constraint_problems(
    value: object, prop: PropertySpec, *, lengths: bool
) -> Iterator[str]:
    if prop.allowed_values is not None and not _allowed(value, prop.allowed_values):
        allowed = ", ".join(json.dumps(v) for v in prop.allowed_values)
        yield f"{json.dumps(value, default=str)} is not an allowed value; the spec allows {allowed}"
    number = _as_number(value)
    if number is not None and prop.kind == "number":
        if prop.min_value is not None and number < prop.min_value:
            yield f"{value} is below the minimum {_plain(prop.min_value)}"
        if prop.max_value is not None and number > prop.max_value:
            yield f"{value} is above the maximum {_plain(prop.max_value)}"
    if isinstance(value, str) and lengths:
        if prop.min_length is not None and len(value) < prop.min_length:
            yield f"is {len(value)} characters long; the spec allows at least {prop.min_length}"
        if prop.max_length is not None and len(value) > prop.max_length:
            yield f"is {len(value)} characters long; the spec allows at most {prop.max_length}"
    if isinstance(value, str) and prop.pattern is not None and not re.search(prop.pattern, value):
        yield f"{value!r} does not match the pattern {prop.pattern}"


def _allowed(value: object, allowed: tuple[object, ...]) -> bool:
    if value in allowed:
        return True
    number = _as_number(value)
    return number is not None and any(_as_number(a) == number for a in allowed)


def _plain(number: float) -> str:
    return str(int(number)) if number.is_integer() else str(number)


def _same_namespace(type_name: str, spec: Spec) -> str:
    """ "; ALIYUN::EventBridge has ApiDestination, ..." to show what the namespace does have."""
    namespace = type_name.rpartition("::")[0]
    siblings = sorted(
        t.rpartition("::")[2] for t in spec.resources if t.rpartition("::")[0] == namespace
    )
    if not siblings:
        return ""
    source = next(r.source for t, r in spec.resources.items() if t.rpartition("::")[0] == namespace)
    return f"; {namespace} has {', '.join(siblings)} ({source})"


def _parameter_value_problems(definition: Mapping[str, Any], value: object) -> Iterator[str]:
    """What a parameter value (given, or the Default) breaks of the parameter's constraints."""
    kind = definition.get("Type")
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value)
        if not isinstance(value, (int, float))
        else str(value)
    )
    if kind == "Number":
        number = _as_number(value)
        if number is None:
            yield "not a number"
            return
        low, high = _as_number(definition.get("MinValue")), _as_number(definition.get("MaxValue"))
        if low is not None and number < low:
            yield f"below MinValue {_plain(low)}"
        if high is not None and number > high:
            yield f"above MaxValue {_plain(high)}"
    elif kind == "Boolean" and not _has_kind(value, "boolean"):
        yield "not a boolean (true or false)"
    elif kind == "Json" and isinstance(value, str):
        try:
            json.loads(value)
        except json.JSONDecodeError:
            yield "not JSON"
    if kind in ("String", "CommaDelimitedList") or kind is None:
        low, high = _as_number(definition.get("MinLength")), _as_number(definition.get("MaxLength"))
        if low is not None and len(text) < low:
            yield f"shorter than MinLength {_plain(low)}"
        if high is not None and len(text) > high:
            yield f"longer than MaxLength {_plain(high)}"
        pattern = definition.get("AllowedPattern")
        # inferred: the whole value must match (Heat anchors AllowedPattern at both ends).
        if isinstance(pattern, str) and _compiles(pattern) and re.fullmatch(pattern, text) is None:
            yield f"does not match AllowedPattern {pattern}"
    allowed = definition.get("AllowedValues")
    if (
        isinstance(allowed, list)
        and not _allowed(value, tuple(allowed))
        and text not in map(str, allowed)
    ):
        yield f"not one of AllowedValues {', '.join(map(str, allowed))}"


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


# -- Function Compute rules ROS's spec cannot express -----------------------------------------------
#
# FC checks a timer trigger's cron when ROS creates the trigger (CreateTrigger), so a bad one fails
# the stack, not the validation. The rules are FC's ("Time triggers",
# https://www.alibabacloud.com/help/en/functioncompute/fc/user-guide/time-triggers, and the
# TimerTriggerConfig structure, api-fc-2023-03-30-struct-timertriggerconfig): a six-field cron
# "Seconds Minutes Hours Day-of-month Month Day-of-week" (UTC), optionally prefixed
# "CRON_TZ=<zone> " to run in a time zone, or "@every <interval>" (e.g. "@every 4m").

_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("Seconds", 0, 59, ()),
    ("Minutes", 0, 59, ()),
    ("Hours", 0, 23, ()),
    ("Day-of-month", 1, 31, ()),
    (
        "Month",
        1,
        12,
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
    ),
    ("Day-of-week", 0, 6, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
)
# inferred: "?" (no specific value) in the day fields, and Go-style durations after @every, as the
# FC scheduler's cron dialect (robfig/cron style) reads them.
_QUESTION_MARK_FIELDS = ("Day-of-month", "Day-of-week")
_EVERY = re.compile(r"@every (?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+")
_TIMEZONE = re.compile(r"CRON_TZ=(\S+) (.*)", re.S)


def platform_problems(
    template: Mapping[str, Any], *, parameters: Mapping[str, str] | None = None
) -> list[TemplateProblem]:
    """Function Compute rules the stack would fail on: each ALIYUN::FC::Trigger's timer cron."""
    problems = []
    for name, resource in _section(template, "Resources").items():
        if not isinstance(resource, Mapping) or resource.get("Type") != "ALIYUN::FC::Trigger":
            continue
        properties = resource.get("Properties")
        if not isinstance(properties, Mapping) or properties.get("TriggerType") != "timer":
            continue
        config = properties.get("TriggerConfig")
        if not isinstance(config, Mapping):
            continue
        # FC's TimerTriggerConfig spells it cronExpression; inferred: FC reads the config's keys
        # case-insensitively (Go's encoding/json), so CronExpression is accepted as well.
        keys = [key for key in config if str(key).lower() == "cronexpression"]
        path = f"Resources.{name}.Properties.TriggerConfig.{keys[0] if keys else 'cronExpression'}"
        if not keys:
            problems.append(
                TemplateProblem(FC_INVALID_ARGUMENT, path, "a timer trigger needs cronExpression")
            )
            continue
        for expression, origin in _resolved(config[keys[0]], template, parameters):
            for reason in cron_problems(expression):
                problems.append(
                    TemplateProblem(
                        FC_INVALID_ARGUMENT,
                        path,
                        f"CronExpression {expression!r}{origin}: {reason} (FC refuses it when ROS "
                        "creates the trigger)",
                    )
                )
    return problems


def _resolved(
    value: object, template: Mapping[str, Any], parameters: Mapping[str, str] | None
) -> Iterator[tuple[str, str]]:
    """(expression, " (from ...)") for a literal string or a Ref to a parameter with a value."""
    if isinstance(value, str):
        yield value, ""
        return
    call = _intrinsic(value)
    if call is None or call[0] != "Ref" or not isinstance(call[1], str):
        return  # computed by a function: known only at deploy time
    name = call[1]
    if parameters is not None and name in parameters:
        yield parameters[name], f" (parameter {name})"
        return
    definition = _section(template, "Parameters").get(name)
    if isinstance(definition, Mapping) and isinstance(definition.get("Default"), str):
        yield definition["Default"], f" (Default of parameter {name})"


def cron_problems(expression: str) -> list[str]:
    """Why FC would refuse a timer trigger's CronExpression (an empty list: it accepts it)."""
    rest = expression
    zone = _TIMEZONE.fullmatch(expression)
    if zone:
        timezone, rest = zone.groups()
        if not _known_timezone(timezone):
            return [f"CRON_TZ={timezone} is not a time zone name (e.g. Asia/Shanghai)"]
    if rest.startswith("@every"):
        if _EVERY.fullmatch(rest) is None:
            return ["@every takes an interval such as '@every 5m' or '@every 1h30m'"]
        return []
    fields = rest.split()
    if len(fields) != len(_CRON_FIELDS):
        return [
            f"{len(fields)} fields; FC's cron has six, seconds first: "
            f"{' '.join(f[0] for f in _CRON_FIELDS)}"
        ]
    problems = []
    for text, (label, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        reason = _cron_field_problem(text, label, low, high, names)
        if reason:
            problems.append(f"{label} field {text!r}: {reason}")
    return problems


def _cron_field_problem(text: str, label: str, low: int, high: int, names: tuple[str, ...]) -> str:
    if text == "?" and label in _QUESTION_MARK_FIELDS:
        return ""
    for part in text.split(","):
        base, slash, step = part.partition("/")
        if slash and not (step.isdigit() and int(step) > 0):
            return f"step {step!r} is not a positive number"
        if base == "*":
            continue
        bounds = base.split("-")
        if len(bounds) > 2:
            return f"{base!r} is not a value or a range"
        values = [_cron_value(b, names) for b in bounds]
        for bound, number in zip(bounds, values, strict=True):
            if number is None or not low <= number <= high:
                return f"{bound!r} is outside {low}-{high}"
        if (
            len(values) == 2
            and values[0] is not None
            and values[1] is not None
            and values[0] > values[1]
        ):
            return f"range {base!r} runs backwards"
    return ""


def _cron_value(text: str, names: tuple[str, ...]) -> int | None:
    if text.isdigit():
        return int(text)
    if text.upper() in names:
        return names.index(text.upper()) + (1 if len(names) == 12 else 0)
    return None


def _known_timezone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        # Without any time zone database here the name cannot be judged: accept it.
        return not zoneinfo.available_timezones()
    return True


# -- command line -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m vpndiag_emulator.ros.validate FILE``: one problem per line, or "valid"."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m vpndiag_emulator.ros.validate TEMPLATE_FILE", file=sys.stderr)
        return 2
    try:
        template = load_template(Path(args[0]).read_text(encoding="utf-8"))
        problems = validate_template(template)
    except OSError as exc:
        print(f"{args[0]}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except TemplateFormatError as exc:
        print(f"InvalidTemplate {args[0]}: {exc}")
        return 1
    except SpecUnavailable as exc:
        print(f"ROS specification unavailable: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    if not problems:
        print("valid")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

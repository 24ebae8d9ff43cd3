"""The ROS template validator and loader: one kind of problem per test, each on a small template.

Rules come from ROS's "Template structure", "Parameters" and "Reasons for template verification
failure" pages and from the vendor's resource spec (the ros-cdk-* wheels); the timer cron rules
from FC's "Time triggers" page (cited in validate.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from vpndiag_emulator.ros.template import TemplateFormatError, load_template
from vpndiag_emulator.ros.validate import TemplateProblem, cron_problems, validate_template

SERVICE = """
  Service:
    Type: ALIYUN::FC::Service
    Properties:
      ServiceName: svc
"""
FUNCTION = """
  Fn:
    Type: ALIYUN::FC::Function
    Properties:
      ServiceName: svc
      FunctionName: fn
      Handler: index.handler
      Runtime: python3.10
"""


def _problems(body: str, **kwargs: Any) -> list[TemplateProblem]:
    text = "ROSTemplateFormatVersion: '2015-09-01'\n" + body
    return validate_template(load_template(text), **kwargs)


def _only(problems: list[TemplateProblem]) -> TemplateProblem:
    assert len(problems) == 1, problems
    return problems[0]


def _function(extra: str) -> str:
    return "Resources:" + FUNCTION + "".join(f"      {line}\n" for line in extra.splitlines())


def test_minimal_template_is_valid() -> None:
    """A function with its required properties has no problem."""
    assert _problems(_function("")) == []


def test_format_version_is_required() -> None:
    """A template without ROSTemplateFormatVersion 2015-09-01 is refused."""
    problem = _only(validate_template(load_template("Resources: {}")))
    assert (problem.code, problem.path) == ("InvalidTemplateVersion", "ROSTemplateFormatVersion")
    assert "2015-09-01" in problem.message


def test_unknown_section_is_refused_with_suggestion() -> None:
    """A misspelt top-level section is refused, naming the right one."""
    problem = _only(_problems("Output: {}\n"))
    assert problem.path == "Output"
    assert "did you mean Outputs?" in problem.message


def test_transform_is_refused() -> None:
    """A Transform is refused: the emulated ROS cannot expand transforms."""
    problem = _only(_problems("Transform: Aliyun::Serverless-2018-04-03\n"))
    assert problem.path == "Transform"
    assert "cannot expand transforms" in problem.message


def test_parameter_type_must_be_a_ros_type() -> None:
    """A parameter Type outside ROS's parameter types is refused."""
    problem = _only(_problems("Parameters:\n  P:\n    Type: Integer\n"))
    assert (problem.code, problem.path) == ("InvalidSchema", "Parameters.P.Type")
    assert "'Integer'" in problem.message


def test_default_must_meet_its_constraints() -> None:
    """A Default below the parameter's own MinValue is refused."""
    problem = _only(
        _problems("Parameters:\n  P:\n    Type: Number\n    Default: 1\n    MinValue: 5\n")
    )
    assert problem.path == "Parameters.P.Default"
    assert "MinValue 5" in problem.message


def test_min_above_max_is_refused() -> None:
    """MinLength greater than MaxLength is refused."""
    problem = _only(
        _problems("Parameters:\n  P:\n    Type: String\n    MinLength: 9\n    MaxLength: 3\n")
    )
    assert problem.path == "Parameters.P"
    assert "MinLength 9 is greater than MaxLength 3" in problem.message


def test_unknown_given_parameter_is_refused() -> None:
    """A given parameter the template does not define is refused."""
    problem = _only(
        _problems(
            "Parameters:\n  Name:\n    Type: String\n    Default: x\n", parameters={"Nmae": "y"}
        )
    )
    assert (problem.code, problem.path) == ("UnknownUserParameter", "Parameters.Nmae")
    assert "did you mean Name?" in problem.message


def test_given_value_is_checked_against_the_pattern() -> None:
    """A given value not matching AllowedPattern (as a whole) is refused."""
    body = "Parameters:\n  B:\n    Type: String\n    AllowedPattern: '[a-z]+'\n"
    problem = _only(_problems(body, parameters={"B": "abc-1"}))
    assert problem.path == "Parameters.B"
    assert "'abc-1'" in problem.message


def test_parameter_without_default_needs_a_value() -> None:
    """With parameter values given, one without Default and without a value is refused."""
    problem = _only(_problems("Parameters:\n  B:\n    Type: String\n", parameters={}))
    assert (problem.code, problem.path) == ("UserParameterMissing", "Parameters.B")


def test_condition_must_use_condition_functions() -> None:
    """A condition built with a non-condition function is refused."""
    problem = _only(_problems("Conditions:\n  C: !Join ['', [a]]\n"))
    assert problem.path == "Conditions.C"
    assert "Fn::Join" in problem.message


def test_if_names_a_condition() -> None:
    """Fn::If naming an undefined condition is refused."""
    problem = _only(_problems(_function("Description: !If [Nope, a, b]")))
    assert problem.path == "Resources.Fn.Properties.Description"
    assert "'Nope'" in problem.message


def test_unknown_resource_type_is_named() -> None:
    """A type the spec lacks is refused as not a ROS resource type."""
    problem = _only(_problems("Resources:\n  Bus:\n    Type: ALIYUN::EventBridge::EventBus\n"))
    assert problem.path == "Resources.Bus.Type"
    assert "ALIYUN::EventBridge::EventBus is not a ROS resource type" in problem.message


def test_misspelt_property_gets_a_suggestion() -> None:
    """An unknown property is refused, suggesting the close match."""
    problem = _only(_problems(_function("Timout: 3")))
    assert problem.path == "Resources.Fn.Properties.Timout"
    assert "did you mean Timeout?" in problem.message


def test_required_property_missing() -> None:
    """A missing required property is refused, naming it."""
    problem = _only(_problems("Resources:" + FUNCTION.replace("      Runtime: python3.10\n", "")))
    assert problem.path == "Resources.Fn.Properties.Runtime"
    assert "required property Runtime" in problem.message


def test_value_kind_is_checked() -> None:
    """A mapping where the spec wants a number is refused."""
    problem = _only(_problems(_function("Timeout: {a: 1}")))
    assert problem.path == "Resources.Fn.Properties.Timeout"
    assert "Timeout must be a number" in problem.message


def test_allowed_values_are_checked() -> None:
    """A literal outside the spec's allowed values is refused, listing them."""
    problem = _only(_problems(_function("DiskSize: 1024")))
    assert problem.path == "Resources.Fn.Properties.DiskSize"
    assert "512, 10240" in problem.message


def test_range_is_checked() -> None:
    """A literal above the spec's maximum is refused."""
    problem = _only(_problems(_function("Timeout: 100000")))
    assert problem.path == "Resources.Fn.Properties.Timeout"
    assert "above the maximum 86400" in problem.message


def test_length_is_checked() -> None:
    """A string shorter than the spec's minimum length is refused."""
    problem = _only(_problems(_function("").replace("ServiceName: svc", "ServiceName: ''")))
    assert problem.path == "Resources.Fn.Properties.ServiceName"
    assert "at least 1" in problem.message


def test_pattern_is_checked() -> None:
    """A string not matching the spec's pattern is refused."""
    body = "Resources:\n  L:\n    Type: ALIYUN::FC::Layer\n    Properties:\n      LayerName: 9bad\n"
    body += "      CompatibleRuntime: [python3.10]\n      Code: {ZipFile: x}\n"
    problem = _only(_problems(body))
    assert problem.path == "Resources.L.Properties.LayerName"
    assert "'9bad'" in problem.message


def test_nested_struct_is_checked() -> None:
    """A nested struct's property is held to its range."""
    problem = _only(_problems(_function("AsyncConfiguration: {MaxAsyncRetryAttempts: 9}")))
    assert problem.path == "Resources.Fn.Properties.AsyncConfiguration.MaxAsyncRetryAttempts"
    assert "maximum 8" in problem.message


def test_list_of_structs_is_checked() -> None:
    """An EventBridge rule's ParamList item without Value is refused."""
    body = """Resources:
  R:
    Type: ALIYUN::EventBridge::Rule
    Properties:
      RuleName: r
      EventBusName: default
      FilterPattern: {source: [acs.vpn]}
      Targets:
        - Id: t
          Type: acs.fc.function
          Endpoint: e
          ParamList:
            - {ResourceKey: Body, Form: ORIGINAL}
"""
    problem = _only(_problems(body))
    assert problem.path == "Resources.R.Properties.Targets[0].ParamList[0].Value"


def test_intrinsic_values_skip_literal_checks() -> None:
    """A Ref where a number is expected is the Ref's business, not a kind error."""
    body = "Parameters:\n  T:\n    Type: Number\n    Default: 3\n" + _function("Timeout: !Ref T")
    assert _problems(body) == []


def test_depends_on_names_a_resource() -> None:
    """DependsOn a resource that does not exist is refused."""
    body = "Resources:" + FUNCTION.replace(
        "    Properties:", "    DependsOn: Servic\n    Properties:", 1
    )
    body += SERVICE
    problem = _only(_problems(body))
    assert problem.path == "Resources.Fn.DependsOn"
    assert "did you mean Service?" in problem.message


def test_resource_condition_must_exist() -> None:
    """A resource's Condition must be defined in Conditions."""
    body = "Resources:" + FUNCTION.replace(
        "    Properties:", "    Condition: Prod\n    Properties:", 1
    )
    problem = _only(_problems(body))
    assert problem.path == "Resources.Fn.Condition"
    assert "'Prod'" in problem.message


def test_deletion_policy_values() -> None:
    """A DeletionPolicy other than Delete or Retain is refused."""
    body = "Resources:" + FUNCTION.replace(
        "    Properties:", "    DeletionPolicy: Keep\n    Properties:", 1
    )
    problem = _only(_problems(body))
    assert problem.path == "Resources.Fn.DeletionPolicy"
    assert "'Keep'" in problem.message


def test_unknown_resource_key_is_refused() -> None:
    """A resource key outside ROS's list is refused."""
    body = "Resources:" + FUNCTION.replace(
        "    Properties:", "    Propertys: {}\n    Properties:", 1
    )
    problem = _only(_problems(body))
    assert problem.path == "Resources.Fn.Propertys"


def test_unknown_function_tag_is_refused() -> None:
    """A short-form tag that is no ROS function is refused as an unknown function."""
    problem = _only(_problems(_function("Description: !Concat [a, b]")))
    assert problem.path == "Resources.Fn.Properties.Description"
    assert "unknown function Fn::Concat" in problem.message


def test_ref_to_nothing_is_refused() -> None:
    """Ref to no parameter, resource or pseudo parameter is refused."""
    problem = _only(_problems(_function("Description: !Ref ALIYUN::Regoin")))
    assert problem.code == "InvalidTemplateReference"
    assert "did you mean ALIYUN::Region?" in problem.message


def test_get_att_of_a_missing_resource() -> None:
    """Fn::GetAtt of a resource that does not exist is refused."""
    problem = _only(_problems(_function("Description: !GetAtt Nothing.ARN")))
    assert problem.code == "InvalidTemplateReference"
    assert "Nothing" in problem.message


def test_get_att_of_a_missing_attribute_lists_the_attributes() -> None:
    """Fn::GetAtt of an attribute not in the spec is refused, listing the type's attributes."""
    problem = _only(_problems(_function("") + "Outputs:\n  A:\n    Value: !GetAtt Fn.Arn\n"))
    assert (problem.code, problem.path) == ("InvalidTemplateAttribute", "Outputs.A.Value")
    assert "did you mean ARN?" in problem.message


def test_sub_variables_resolve() -> None:
    """Fn::Sub's ${Param}, ${Res.Attr}, ${ALIYUN::Region} and explicit variables all resolve."""
    body = "Parameters:\n  P:\n    Type: String\n    Default: x\n" + _function(
        "Description: !Sub ['${P}-${Service.ServiceName}-${ALIYUN::Region}-${V}', {V: v}]"
    )
    body += SERVICE
    assert _problems(body) == []


def test_sub_variable_to_nothing_is_refused() -> None:
    """A Fn::Sub variable naming nothing is refused."""
    problem = _only(_problems(_function("Description: !Sub 'a-${Missing}'")))
    assert problem.code == "InvalidTemplateReference"
    assert "${Missing}" in problem.message


def test_output_needs_a_value() -> None:
    """An output without Value is refused."""
    problem = _only(_problems(_function("") + "Outputs:\n  O:\n    Description: d\n"))
    assert problem.path == "Outputs.O"


def test_circular_dependency_is_refused() -> None:
    """Two resources depending on each other are refused as a circular dependency."""
    body = """Resources:
  A:
    Type: ALIYUN::FC::Service
    DependsOn: B
    Properties: {ServiceName: a}
  B:
    Type: ALIYUN::FC::Service
    Properties: {ServiceName: !GetAtt A.ServiceName}
"""
    problem = _only(_problems(body))
    assert problem.code == "CircularDependency"
    assert "A -> B -> A" in problem.message


def test_functions_are_refused_in_mappings() -> None:
    """Mappings cannot hold functions."""
    problem = _only(_problems("Mappings:\n  M:\n    k: {v: !Ref ALIYUN::Region}\n"))
    assert problem.path == "Mappings.M"


TIMER = """Parameters:
  S:
    Type: String
    Default: '{cron}'
Resources:
  T:
    Type: ALIYUN::FC::Trigger
    Properties:
      ServiceName: svc
      FunctionName: fn
      TriggerName: t
      TriggerType: timer
      TriggerConfig: {{cronExpression: !Ref S, enable: true}}
"""


def test_timer_cron_from_a_parameter_default_is_checked() -> None:
    """A timer trigger's five-field cron (here a parameter's Default) fails as FC refuses it."""
    problem = _only(_problems(TIMER.format(cron="0 * * * *")))
    assert problem.path == "Resources.T.Properties.TriggerConfig.cronExpression"
    assert "5 fields" in problem.message
    assert "parameter S" in problem.message


@pytest.mark.parametrize(
    "cron",
    [
        "0 0 * * * *",
        "CRON_TZ=Asia/Shanghai 0 30 8 * * *",
        "@every 5m",
        "0 0/15 8-18 ? JAN-DEC MON-FRI",
    ],
)
def test_fc_accepts_these_crons(cron: str) -> None:
    """Six fields (seconds first), CRON_TZ=, @every and names are FC's cron ("Time triggers")."""
    assert cron_problems(cron) == []


@pytest.mark.parametrize(
    ("cron", "named"),
    [
        ("0 0 24 * * *", "Hours"),
        ("CRON_TZ=Mars/Olympus 0 0 * * * *", "Mars/Olympus"),
        ("@every soon", "@every"),
        ("0 0 * * 13 *", "Month"),
    ],
)
def test_fc_refuses_these_crons(cron: str, named: str) -> None:
    """Out-of-range fields, unknown zones and bad intervals are refused, naming the culprit."""
    problems = cron_problems(cron)
    assert problems
    assert named in problems[0]


def test_get_att_short_form_string_is_split() -> None:
    """!GetAtt Res.Attr loads as Fn::GetAtt [Res, Attr] (the attribute keeps further dots)."""
    assert load_template("A: !GetAtt Queue.Arn.WithSlash") == {
        "A": {"Fn::GetAtt": ["Queue", "Arn.WithSlash"]}
    }


def test_tags_load_as_long_forms() -> None:
    """!Ref, !Condition and !Name tags load as Ref, Condition and Fn::Name."""
    loaded = load_template("A: !Ref X\nB: !Condition C\nC: !Join ['', [a]]\n")
    assert loaded == {"A": {"Ref": "X"}, "B": {"Condition": "C"}, "C": {"Fn::Join": ["", ["a"]]}}


def test_unquoted_dates_stay_strings() -> None:
    """An unquoted 2015-09-01 stays the string ROS compares."""
    assert load_template("ROSTemplateFormatVersion: 2015-09-01\n") == {
        "ROSTemplateFormatVersion": "2015-09-01"
    }


def test_unparsable_yaml_names_the_line() -> None:
    """Broken YAML raises TemplateFormatError naming its line."""
    with pytest.raises(TemplateFormatError, match="line 3") as caught:
        load_template("A: 1\nB: 2\n\tC: 3\n")
    assert caught.value.line == 3


def test_unparsable_json_names_the_line() -> None:
    """Broken JSON raises TemplateFormatError naming its line."""
    with pytest.raises(TemplateFormatError, match="line 2"):
        load_template('{"A": 1,\n "B": }')


def _cli(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vpndiag_emulator.ros", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_prints_valid(tmp_path: Path) -> None:
    """The command prints "valid" and exits 0 for a valid template."""
    path = tmp_path / "t.yml"
    path.write_text("ROSTemplateFormatVersion: '2015-09-01'\n" + _function(""))
    result = _cli(path)
    assert (result.returncode, result.stdout) == (0, "valid\n")


def test_cli_prints_one_problem_per_line(tmp_path: Path) -> None:
    """The command prints each problem on its line and exits 1."""
    path = tmp_path / "t.yml"
    path.write_text("Output: {}\n")
    result = _cli(path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("InvalidTemplateVersion ROSTemplateFormatVersion: ")

"""ROS template text (JSON or YAML) to a plain dict, short-form function tags in their long form.

ROS documents YAML short forms for its functions: ``!Ref x`` is ``{"Ref": x}``, ``!Condition c``
is ``{"Condition": c}``, and ``!Name args`` is ``{"Fn::Name": args}`` for every ``Fn::Name``
(``!Sub``, ``!Join``, ``!GetAtt``, ``!If``, ``!Base64Encode``, ...). ``!GetAtt`` also takes the
string form ``Resource.Attribute``. A tag is turned into its long form whatever its name: an
unknown ``!Foo`` becomes ``{"Fn::Foo": ...}``, which the validator refuses as an unknown function
(the function list is the core spec's, not repeated here).
"""

from __future__ import annotations

import json
from typing import Any

import yaml


class TemplateFormatError(ValueError):
    """Template text that is neither JSON nor YAML, or not a mapping at its top (names the line)."""

    def __init__(self, message: str, *, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


class _TemplateLoader(yaml.SafeLoader):
    """SafeLoader with ROS's function tags, and timestamps kept as the strings they were.

    Unquoted ``2015-09-01`` stays a string (inferred: ROS, like the Heat engine it descends from,
    does not turn YAML timestamps into dates; a date would never equal '2015-09-01').
    """


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        resource, dot, attribute = value.partition(".")
        value = [resource, attribute] if dot else value
    return {f"Fn::{suffix}": value}


def _construct_timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


_TemplateLoader.add_multi_constructor("!", _construct_tag)  # type: ignore[no-untyped-call]
_TemplateLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)


def load_template(text: str) -> dict[str, Any]:
    """The template as a dict; raises TemplateFormatError (with the line) when it cannot be read."""
    if text.lstrip().startswith("{"):
        try:
            loaded: object = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TemplateFormatError(f"invalid JSON: {exc.msg}", line=exc.lineno) from exc
    else:
        try:
            loaded = yaml.load(text, Loader=_TemplateLoader)  # noqa: S506 (a SafeLoader subclass)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else 1
            raise TemplateFormatError(f"invalid YAML: {exc.problem or exc}", line=line) from exc
        except yaml.YAMLError as exc:
            raise TemplateFormatError(f"invalid YAML: {exc}", line=1) from exc
    if not isinstance(loaded, dict):
        raise TemplateFormatError(
            f"a template is a mapping of sections, not {type(loaded).__name__}", line=1
        )
    return loaded

"""The ROS resource specification, read from the vendor's own machine-readable artefacts.

Each ``ros-cdk-*`` wheel carries a jsii tarball whose ``package/lib/**/*.generated.js`` is
"Generated from the AliCloud ROS Resource Specification". Per resource type it holds:

- ``RosX.ROS_RESOURCE_TYPE_NAME = "ALIYUN::FC::Function"``;
- a class whose ``renderProperties`` names the props mapper and whose constructor lists the
  attributes (``this.getAtt('ARN')``);
- mappers (``rosXPropsToRosTemplate``, ``rosXSomePropertyToRosTemplate``) mapping each camelCase
  prop to its ROS PascalCase name through a typed mapper (``ros.stringToRosTemplate``,
  ``ros.listMapper(...)``, a nested struct mapper, ...), each preceded by a doc comment naming
  the ROS type or struct it renders (``ALIYUN::FC::Function.AsyncConfiguration``);
- validators (``RosXPropsValidator``, ``RosX_SomePropertyValidator``), called by their mapper,
  giving required props and constraints (``validateRange``, ``validateLength``,
  ``validateAllowedValues``, ``validateAllowedPattern``).

``ros-cdk-core`` gives the pseudo parameters (``lib/ros-pseudo.js``) and the intrinsic functions
(``lib/ros-fn.js``). The tarballs are read from the installed distributions at run time (located
through their RECORD, without importing the jsii packages, which would start a node process).
"""

from __future__ import annotations

import functools
import io
import json
import re
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import MappingProxyType

CORE_PACKAGE = "ros-cdk-core"
#: The resource packages the project's template draws on (every one installed by pyproject's dev
#: extra). Each contributes every resource type its generated sources define.
RESOURCE_PACKAGES: tuple[str, ...] = (
    "ros-cdk-fc",
    "ros-cdk-oss",
    "ros-cdk-sls",
    "ros-cdk-ram",
    "ros-cdk-mns",
    "ros-cdk-eventbridge",
)

KINDS = frozenset({"string", "number", "boolean", "list", "map", "struct", "any"})


class SpecUnavailable(RuntimeError):
    """A package holding part of the ROS specification is not installed (or not readable)."""


@dataclass(frozen=True)
class PropertySpec:
    name: str
    required: bool
    kind: str
    item: PropertySpec | None = None
    struct: StructSpec | None = None
    allowed_values: tuple[object, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class StructSpec:
    name: str
    properties: Mapping[str, PropertySpec]


@dataclass(frozen=True)
class ResourceSpec:
    type_name: str
    properties: Mapping[str, PropertySpec]
    attributes: frozenset[str]
    source: str


@dataclass(frozen=True)
class Spec:
    resources: Mapping[str, ResourceSpec]
    pseudo_parameters: frozenset[str]
    functions: frozenset[str]


@functools.cache
def load_spec() -> Spec:
    """The specification of every resource type of the installed packages (parsed once)."""
    resources: dict[str, ResourceSpec] = {}
    for package in RESOURCE_PACKAGES:
        version, sources = read_package_sources(package)
        for path, text in sources.items():
            if path.endswith(".generated.js"):
                resources.update(parse_generated_module(text, source=f"{package} {version}"))
    _, core = read_package_sources(CORE_PACKAGE)
    return Spec(
        resources=MappingProxyType(dict(sorted(resources.items()))),
        pseudo_parameters=parse_pseudo_parameters(_member(core, "package/lib/ros-pseudo.js")),
        functions=parse_functions(_member(core, "package/lib/ros-fn.js")),
    )


def read_package_sources(package: str) -> tuple[str, dict[str, str]]:
    """(version, {member path: text}) of the JavaScript sources in a package's jsii tarball."""
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError as exc:
        raise SpecUnavailable(
            f"{package} is not installed: the ROS specification is read from it "
            "(pip install the project's dev extra)"
        ) from exc
    tarballs = [f for f in dist.files or () if f.name.endswith(".jsii.tgz")]
    if not tarballs:
        raise SpecUnavailable(f"{package} {dist.version} carries no jsii tarball")
    try:
        data = Path(str(dist.locate_file(tarballs[0]))).read_bytes()
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            sources = {}
            for member in archive.getmembers():
                if member.isfile() and member.name.endswith(".js"):
                    extracted = archive.extractfile(member)
                    if extracted is not None:
                        sources[member.name] = extracted.read().decode("utf-8")
    except (OSError, tarfile.TarError, UnicodeDecodeError) as exc:
        raise SpecUnavailable(f"{package} {dist.version}: unreadable jsii tarball ({exc})") from exc
    return dist.version, sources


def _member(sources: Mapping[str, str], path: str) -> str:
    if path not in sources:
        raise SpecUnavailable(f"{CORE_PACKAGE}: {path} missing from its jsii tarball")
    return sources[path]


# -- the generated modules --------------------------------------------------------------------


@dataclass
class _Block:
    kind: str  # "function" | "class"
    name: str
    body: str
    doc: str


@dataclass
class _Mapper:
    renders: str  # the ROS type or struct name from the doc comment
    props: list[tuple[str, str, str]]  # (PascalName, mapper expression, camelName)
    validator: str | None


@dataclass
class _Constraints:
    allowed_values: tuple[object, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None


@dataclass
class _Validator:
    required: set[str] = field(default_factory=set)
    constraints: dict[str, _Constraints] = field(default_factory=dict)


_BLOCK_START = re.compile(r"^(function|class) (\w+)\b")
_RENDERS = re.compile(r"Renders the AliCloud ROS Resource properties of an? `([^`]+)` resource")
# A ROS name is taken as the generator wrote it: ros-cdk-sls 1.15.0 renders two keys of
# ALIYUN::SLS::Audit.VariableMap with a trailing space ('CloudconfigChangeTtl ').
_MAPPED_PROP = re.compile(r"^\s*'([^']+)': (.+)\(properties\.(\w+)\),$", re.M)
_CALLS_VALIDATOR = re.compile(r"(\w+Validator)\(properties\)\.assertSuccess\(\)")
_REQUIRED = re.compile(r"ros\.propertyValidator\('(\w+)', ros\.requiredValidator\)")
_CONSTRAINT = re.compile(
    r"ros\.propertyValidator\('(?P<prop>\w+)', ros\.(?P<check>validateRange|validateLength"
    r"|validateAllowedValues|validateAllowedPattern)\)\(\{\n(?P<args>.*?)\n\s*\}\)\);",
    re.S,
)
_TYPE_NAME = re.compile(r'^(\w+)\.ROS_RESOURCE_TYPE_NAME = "([^"]+)";$', re.M)
_GET_ATT = re.compile(r"this\.getAtt\('([^']+)'\)")
_RENDER_PROPERTIES = re.compile(r"return (\w+)\(props, this\.enableResourcePropertyConstraint\)")

_SCALAR_MAPPERS = {
    "ros.stringToRosTemplate": "string",
    "ros.numberToRosTemplate": "number",
    "ros.booleanToRosTemplate": "boolean",
    "ros.objectToRosTemplate": "any",
}


def _blocks(source: str) -> Iterator[_Block]:
    """Top-level functions and classes, each with the doc comment just before it."""
    lines = source.splitlines()
    doc: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("/**"):
            doc = []
            while i < len(lines) and "*/" not in lines[i]:
                doc.append(lines[i])
                i += 1
            i += 1
            continue
        match = _BLOCK_START.match(line)
        if match:
            body = [line]
            i += 1
            while i < len(lines) and lines[i] != "}":
                body.append(lines[i])
                i += 1
            yield _Block(match.group(1), match.group(2), "\n".join(body), "\n".join(doc))
            doc = []
        elif line.strip() and not line.startswith("//"):
            doc = []
        i += 1


def parse_generated_module(text: str, *, source: str) -> dict[str, ResourceSpec]:
    """Every resource type a ``*.generated.js`` module defines, by ROS type name."""
    mappers: dict[str, _Mapper] = {}
    validators: dict[str, _Validator] = {}
    classes: dict[str, _Block] = {}
    for block in _blocks(text):
        if block.kind == "class":
            classes[block.name] = block
        elif block.name.endswith("ToRosTemplate"):
            renders = _RENDERS.search(block.doc)
            if renders is None:
                raise SpecUnavailable(f"{source}: mapper {block.name} names no ROS type")
            calls = _CALLS_VALIDATOR.search(block.body)
            mappers[block.name] = _Mapper(
                renders=renders.group(1),
                props=[(m[0], m[1], m[2]) for m in _MAPPED_PROP.findall(block.body)],
                validator=calls.group(1) if calls else None,
            )
        elif block.name.endswith("Validator"):
            validators[block.name] = _parse_validator(block.body)
    builder = _Builder(mappers, validators, source)
    resources: dict[str, ResourceSpec] = {}
    for class_name, type_name in _TYPE_NAME.findall(text):
        cls = classes.get(class_name)
        render = _RENDER_PROPERTIES.search(cls.body) if cls else None
        if cls is None or render is None:
            raise SpecUnavailable(f"{source}: {type_name} has no class rendering its properties")
        resources[type_name] = ResourceSpec(
            type_name=type_name,
            properties=builder.properties(render.group(1)),
            attributes=frozenset(_GET_ATT.findall(cls.body)),
            source=source,
        )
    return resources


def _parse_validator(body: str) -> _Validator:
    validator = _Validator(required=set(_REQUIRED.findall(body)))
    for match in _CONSTRAINT.finditer(body):
        found = validator.constraints.setdefault(match["prop"], _Constraints())
        args = _arguments(match["args"])
        check = match["check"]
        if check == "validateRange":
            found.min_value = _number(args.get("min"))
            found.max_value = _number(args.get("max"))
        elif check == "validateLength":
            low, high = _number(args.get("min")), _number(args.get("max"))
            found.min_length = None if low is None else int(low)
            found.max_length = None if high is None else int(high)
        elif check == "validateAllowedValues":
            found.allowed_values = tuple(json.loads(args["allowedValues"]))
        else:
            found.pattern = _python_pattern(args["reg"])
    return validator


def _arguments(args: str) -> dict[str, str]:
    """``key: value,`` lines of a constraint's argument object."""
    found = {}
    for line in args.splitlines():
        key, _, value = line.strip().partition(": ")
        found[key] = value.removesuffix(",")
    return found


def _number(value: str | None) -> float | None:
    # The generator writes ``min: undefined`` for an open bound; the CDK's check (``prop.min &&``)
    # also ignores a bound of 0, which the value still is.
    if value is None or value == "undefined":
        return None
    return float(value)


def _python_pattern(literal: str) -> str:
    """A JavaScript regex literal (``/.../``) as a Python pattern (searched, as ``test`` does)."""
    if not (literal.startswith("/") and literal.endswith("/")):
        raise SpecUnavailable(f"unexpected pattern literal {literal!r}")
    body, out, i = literal[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            # ``\/`` escapes the delimiter in JavaScript only; every other escape means the same.
            out.append("/" if body[i + 1] == "/" else body[i : i + 2])
            i += 2
        else:
            out.append(body[i])
            i += 1
    pattern = "".join(out)
    re.compile(pattern)
    return pattern


class _Builder:
    """PropertySpecs from mappers and their validators (structs built once, by mapper name)."""

    def __init__(
        self, mappers: Mapping[str, _Mapper], validators: Mapping[str, _Validator], source: str
    ) -> None:
        self._mappers = mappers
        self._validators = validators
        self._source = source
        self._structs: dict[str, StructSpec] = {}

    def properties(self, mapper_name: str) -> Mapping[str, PropertySpec]:
        mapper = self._mapper(mapper_name)
        validator = self._validators.get(mapper.validator or "", _Validator())
        return MappingProxyType(
            {
                pascal: self._property(
                    pascal,
                    expression,
                    required=camel in validator.required,
                    constraints=validator.constraints.get(camel, _Constraints()),
                )
                for pascal, expression, camel in mapper.props
            }
        )

    def _mapper(self, name: str) -> _Mapper:
        if name not in self._mappers:
            raise SpecUnavailable(f"{self._source}: mapper {name} is referenced but not defined")
        return self._mappers[name]

    def _property(
        self, name: str, expression: str, *, required: bool, constraints: _Constraints
    ) -> PropertySpec:
        kind, item, struct = self._shape(name, expression)
        return PropertySpec(
            name=name,
            required=required,
            kind=kind,
            item=item,
            struct=struct,
            allowed_values=constraints.allowed_values,
            min_value=constraints.min_value,
            max_value=constraints.max_value,
            min_length=constraints.min_length,
            max_length=constraints.max_length,
            pattern=constraints.pattern,
        )

    def _shape(
        self, name: str, expression: str
    ) -> tuple[str, PropertySpec | None, StructSpec | None]:
        if expression in _SCALAR_MAPPERS:
            return _SCALAR_MAPPERS[expression], None, None
        if expression == "ros.anyDictToRosTemplate":
            return "map", PropertySpec(name=name, required=False, kind="any"), None
        for wrapper, kind in (("ros.listMapper(", "list"), ("ros.hashMapper(", "map")):
            if expression.startswith(wrapper) and expression.endswith(")"):
                inner = expression[len(wrapper) : -1]
                item = self._property(name, inner, required=False, constraints=_Constraints())
                return kind, item, None
        if re.fullmatch(r"ros\w+PropertyToRosTemplate", expression):
            return "struct", None, self._struct(expression)
        raise SpecUnavailable(f"{self._source}: unknown mapper {expression!r} for {name}")

    def _struct(self, mapper_name: str) -> StructSpec:
        if mapper_name not in self._structs:
            self._structs[mapper_name] = StructSpec(
                name=self._mapper(mapper_name).renders, properties=self.properties(mapper_name)
            )
        return self._structs[mapper_name]


# -- ros-cdk-core -----------------------------------------------------------------------------

_PSEUDO = re.compile(r'^const ROS_\w+ = "(ALIYUN::\w+)";$', re.M)
_FUNCTION_NAME = re.compile(r'"(Fn::\w+)"')
_REF = re.compile(r'super\("(Ref)"')


def parse_pseudo_parameters(source: str) -> frozenset[str]:
    """The pseudo parameters ``RosPseudo`` defines (``ALIYUN::Region``, ...)."""
    found = frozenset(_PSEUDO.findall(source))
    if not found:
        raise SpecUnavailable(f"{CORE_PACKAGE}: no pseudo parameters in lib/ros-pseudo.js")
    return found


def parse_functions(source: str) -> frozenset[str]:
    """The intrinsic functions ``ros-fn.js`` builds: ``Ref`` and every ``Fn::*``.

    Commented-out code is skipped (the module keeps a disabled ``Fn::EachMemberEquals``).
    """
    live = "\n".join(
        line for line in source.splitlines() if not line.lstrip().startswith(("//", "*", "/*"))
    )
    found = frozenset(_FUNCTION_NAME.findall(live)) | frozenset(_REF.findall(live))
    if "Ref" not in found or "Fn::GetAtt" not in found:
        raise SpecUnavailable(f"{CORE_PACKAGE}: lib/ros-fn.js lacks Ref or Fn::GetAtt")
    return found

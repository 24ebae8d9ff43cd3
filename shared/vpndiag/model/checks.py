"""Typed views of ``DiagnoseResultDescription``, one per documented ``DiagnoseName``.

The description is a JSON document inside a string whose shape depends on the check. The shapes
come from SDK docs and examples, not from a schema, so parsing is lenient: numbers may arrive as
strings, unknown keys are kept, and a description that fits no shape still yields a detail
(``unknown`` or ``unparsed``) plus a note saying why. Nothing here raises on odd data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Final, Literal, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetPydanticSchema,
    JsonValue,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError, core_schema

from vpndiag.model.response import decode_json, json_type

# Beyond 2**53 an integer is no meaningful count or time, and it could not go through float
# arithmetic (percentages) safely; such a payload is kept whole as an ``unknown`` detail instead.
_LIMIT: Final = 2**53


def _number_from_text(text: str) -> int | float:
    text = text.strip()
    # int() and float() accept digit separators, which no JSON producer writes; "nan" and "inf"
    # fail the range check below.
    if "_" not in text:
        try:
            number: int | float = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                number = math.nan
        if -_LIMIT <= number <= _LIMIT:
            return number
    raise PydanticCustomError("number_type", "expected a number")


# Real numbers are checked in pydantic-core without a Python call; only numeric strings ("45",
# "-1") reach Python. Strict branches keep booleans out (bool is an int subclass), and an int
# stays an int so quota counts read "45 of 50", not "45.0 of 50.0".
_NUMBER_SCHEMA: Final = core_schema.union_schema(
    [
        core_schema.int_schema(strict=True, ge=-_LIMIT, le=_LIMIT),
        core_schema.float_schema(strict=True, allow_inf_nan=False, ge=-_LIMIT, le=_LIMIT),
        core_schema.no_info_after_validator_function(
            _number_from_text, core_schema.str_schema(strict=True)
        ),
    ],
    custom_error_type="number_type",
    custom_error_message="expected a number",
)
Number: TypeAlias = Annotated[
    int | float,
    GetPydanticSchema(lambda _type, _handler: _NUMBER_SCHEMA),
    WithJsonSchema({"type": "number"}),
]


class _Detail(BaseModel):
    # Snake-case names are what the summary serialises; wire keys are validation aliases only.
    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        frozen=True,
        json_schema_serialization_defaults_required=True,
    )
    __pydantic_extra__: dict[str, JsonValue] = Field(init=False)


class _ProbeDetail(_Detail):
    target_ip: str | None = Field(None, validation_alias="targetIp")
    src_ip: str | None = Field(None, validation_alias="srcIp")
    rtt: Number | None = Field(None, description="Round-trip time in ms; negative: no reply.")
    loss_rate: Number | None = Field(
        None, validation_alias="lossRate", description="Packet loss in percent (0-100)."
    )

    @property
    def has_probe(self) -> bool:
        """True when the payload carries any probe measurement or address."""
        return not (
            self.target_ip is None
            and self.src_ip is None
            and self.rtt is None
            and self.loss_rate is None
        )

    @property
    def reachable(self) -> bool | None:
        """False on a negative rtt (-1: no reply) or total loss; None when nothing was measured."""
        if self.rtt is None and self.loss_rate is None:
            return None
        return not (
            (self.rtt is not None and self.rtt < 0)
            or (self.loss_rate is not None and self.loss_rate >= 100)
        )


class ConnectivityDetail(_ProbeDetail):
    """``VcoUserInternetIpConnectivity`` and ``VcoPrivateConnectivity``: a probe result.

    The SDK text swaps source and destination for the private check, so neither address is
    assumed to be the local one.
    """

    kind: Literal["connectivity"] = "connectivity"


class RouteConflictDetail(_ProbeDetail):
    """``RouteEntryConflict``: undocumented shape; the official example carries a probe payload."""

    kind: Literal["route_conflict"] = "route_conflict"


class QuotaDetail(_Detail):
    """``VpnRouteQuota``, ``VpnIPsecQuota`` and ``VpnPbrRouteQuota``."""

    kind: Literal["quota"] = "quota"
    quota_name: str | None = Field(None, validation_alias="quotaName")
    quantity: Number | None = Field(None, description="The quota's limit.")
    used: Number | None = None

    @property
    def used_percent(self) -> float | None:
        """Share of the limit in use, or None when either figure is missing or the limit is 0."""
        if self.used is None or self.quantity is None or self.quantity <= 0:
            return None
        return self.used * 100 / self.quantity


class ConfigConsistencyDetail(_Detail):
    """``VcoConfigConsistency``: value types are undocumented, so each is kept as a JSON value."""

    kind: Literal["config_consistency"] = "config_consistency"
    vco_lack_conf: JsonValue = Field(
        None, validation_alias="vcoLackConf", description="Set when the peer config was unreadable."
    )
    vco_running_conf: JsonValue = Field(None, validation_alias="vcoRunningConf")
    vco_diff_conf: JsonValue = Field(
        None, validation_alias="vcoDiffConf", description="Items that differ from the peer."
    )
    vco_conf: JsonValue = Field(None, validation_alias="vcoConf")


class UnknownDetail(_Detail):
    """A JSON object without a typed view: unrecognised name, or a payload off its shape."""

    kind: Literal["unknown"] = "unknown"
    data: dict[str, JsonValue] = Field(default_factory=dict)


class UnparsedDetail(_Detail):
    """The description is empty, not JSON, or not a JSON object (raw text: ``raw_description``)."""

    kind: Literal["unparsed"] = "unparsed"


Detail: TypeAlias = Annotated[
    QuotaDetail
    | ConnectivityDetail
    | ConfigConsistencyDetail
    | RouteConflictDetail
    | UnknownDetail
    | UnparsedDetail,
    Field(discriminator="kind"),
]

_TypedDetail: TypeAlias = (
    QuotaDetail | ConnectivityDetail | ConfigConsistencyDetail | RouteConflictDetail
)

DETAIL_MODELS: Final[Mapping[str, type[_TypedDetail]]] = MappingProxyType(
    {
        "RouteEntryConflict": RouteConflictDetail,
        "VpnRouteQuota": QuotaDetail,
        "VpnIPsecQuota": QuotaDetail,
        "VpnPbrRouteQuota": QuotaDetail,
        "VcoConfigConsistency": ConfigConsistencyDetail,
        "VcoUserInternetIpConnectivity": ConnectivityDetail,
        "VcoPrivateConnectivity": ConnectivityDetail,
    }
)
KNOWN_NAMES: Final = frozenset(DETAIL_MODELS)


def _reserved_keys(model: type[_Detail]) -> frozenset[str]:
    # A wire key equal to a field's Python name (or to the discriminator) would collide with that
    # field when the summary is serialised, so such payloads are kept whole as ``unknown``.
    names = {
        name
        for name, field in model.model_fields.items()
        if name == "kind" or field.validation_alias not in (None, name)
    }
    return frozenset(names)


_RESERVED: Final[Mapping[type[_Detail], frozenset[str]]] = {
    model: _reserved_keys(model) for model in set(DETAIL_MODELS.values())
}


class _NotAnObject(Exception):
    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note


def _decode(text: str) -> tuple[object, str | None]:
    try:
        return decode_json(text), None
    except ValueError:
        pass
    # The vendor docs render the description escaped twice ({\"rtt\":...}); accept that form too.
    if '\\"' in text:
        try:
            unescaped = decode_json(f'"{text}"')
            if isinstance(unescaped, str):
                return decode_json(unescaped), "description was escaped twice"
        except ValueError:
            pass
    raise _NotAnObject("description is not JSON")


def _payload(description: str) -> tuple[dict[str, JsonValue], str | None]:
    if not description.strip():
        raise _NotAnObject("description is empty")
    value, note = _decode(description)
    if isinstance(value, str):
        # A JSON string holding the JSON object: encoded twice by some producer.
        try:
            value, note = decode_json(value), "description was encoded twice"
        except ValueError:
            raise _NotAnObject("description is a JSON string, not an object") from None
    if not isinstance(value, dict):
        raise _NotAnObject(f"description is a JSON {json_type(value)}, not an object")
    return value, note


def _shape_problem(error: ValidationError) -> str:
    first = error.errors(include_url=False, include_input=False, include_context=False)[0]
    field = ".".join(str(part) for part in first["loc"])
    return f"{field}: {first['msg']}" if field else first["msg"]


def _joined(first: str | None, second: str) -> str:
    return f"{first}; {second}" if first else second


def parse_detail(name: str, description: str) -> tuple[Detail, str | None]:
    """Parse one description for check ``name``; return the detail and a note on anything odd.

    Never raises: a description that cannot be typed still yields ``UnknownDetail`` (JSON object
    kept) or ``UnparsedDetail`` (no JSON object), and the note says why.
    """
    try:
        payload, note = _payload(description)
    except _NotAnObject as exc:
        return UnparsedDetail(), exc.note
    model = DETAIL_MODELS.get(name)
    if model is None:
        # Decoded JSON is JSON by construction: no need to validate it again.
        return UnknownDetail.model_construct(data=payload), note
    clash = _RESERVED[model].intersection(payload)
    if clash:
        problem = f"description uses reserved key(s) {', '.join(sorted(clash))}"
        return UnknownDetail.model_construct(data=payload), _joined(note, problem)
    try:
        return model.model_validate(payload), note
    except ValidationError as exc:
        problem = f"description does not fit the {name} shape ({_shape_problem(exc)})"
        return UnknownDetail.model_construct(data=payload), _joined(note, problem)

"""The GetVpnGatewayDiagnoseResult response body, validated once at the edge.

Parsing is strict about types (a wrong type means the body is not what the API documents, and the
caller gets a ``ResponseError`` naming the field) but open about content: unknown fields, names,
levels and resource types are kept, because an archive that drops what it does not understand
cannot be trusted later.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, field_validator
from pydantic_core import PydanticCustomError, from_json

from vpndiag.errors import ResponseError

_SERVICE: Final = "vpc"
_UTF8_BOM: Final = b"\xef\xbb\xbf"


def decode_json(text: str | bytes) -> object:
    """Decode UTF-8 JSON; raises ``ValueError`` when it is not.

    pydantic-core's parser is several times faster than the json module on the hot path (every
    check description). NaN and Infinity literals are rejected because JSON has no such values;
    a number beyond float range decodes to ``inf``, which typed numeric fields reject and which
    untyped JSON values serialise as null.
    """
    if isinstance(text, bytes):
        text = text.removeprefix(_UTF8_BOM)
    try:
        return from_json(text, allow_inf_nan=False)
    except TypeError:
        # A str holding lone surrogates cannot be encoded as UTF-8, so it cannot be JSON text.
        raise ValueError("text is not valid Unicode") from None


def json_type(value: object) -> str:
    """Name ``value``'s JSON type the way an error message for a JSON document should."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, Mapping) else type(value).__name__


class DiagnoseItem(BaseModel):
    """One entry of ``DiagnoseResult``: a named check and its level, description kept verbatim."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)
    __pydantic_extra__: dict[str, JsonValue] = Field(init=False)

    name: str = Field(alias="DiagnoseName")
    level: str = Field(alias="DiagnoseResultLevel")
    description: str = Field("", alias="DiagnoseResultDescription")

    @field_validator("description", mode="before")
    @classmethod
    def _null_description(cls, value: object) -> object:
        return "" if value is None else value


def _count(value: object) -> object:
    if value is None:
        return 0
    # The lax int parser would take true as 1; a boolean count means the body is not what we think.
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "expected an integer")
    return value


def _timestamp(value: object) -> object:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


class DiagnoseResult(BaseModel):
    """The complete GetVpnGatewayDiagnoseResult body.

    Times are converted to UTC; a time without an offset is taken as UTC, as the API documents.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)
    __pydantic_extra__: dict[str, JsonValue] = Field(init=False)

    request_id: str | None = Field(None, alias="RequestId")
    diagnose_id: str = Field(alias="DiagnoseId")
    vpn_gateway_id: str = Field(alias="VpnGatewayId")
    resource_instance_id: str | None = Field(None, alias="ResourceInstanceId")
    resource_type: str | None = Field(None, alias="ResourceType")
    begin_time: datetime | None = Field(None, alias="BeginTime")
    finish_time: datetime | None = Field(None, alias="FinishTime")
    finished_count: int = Field(0, alias="FinishedCount")
    total_count: int = Field(0, alias="TotalCount")
    items: list[DiagnoseItem] = Field(default_factory=list, alias="DiagnoseResult")

    @field_validator("finished_count", "total_count", mode="before")
    @classmethod
    def _lenient_count(cls, value: object) -> object:
        return _count(value)

    @field_validator("begin_time", "finish_time", mode="before")
    @classmethod
    def _empty_time(cls, value: object) -> object:
        return _timestamp(value)

    @field_validator("begin_time", "finish_time", mode="after")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        try:
            return value.astimezone(timezone.utc)
        except OverflowError:
            # "0001-01-01T00:00:00+01:00" is a valid string whose UTC instant precedes year 1.
            raise PydanticCustomError("datetime_range", "expected a date-time in range") from None

    @field_validator("items", mode="before")
    @classmethod
    def _null_items(cls, value: object) -> object:
        return [] if value is None else value

    @property
    def complete(self) -> bool:
        """True once every check has finished and the service stamped a finish time.

        The API has no explicit "done" flag; this is the documented inference. The number of items
        listed is deliberately not compared with ``total_count``: the official sample reports 7 of 7
        finished with a single item.
        """
        return (
            self.total_count > 0
            and self.finished_count >= self.total_count
            and self.finish_time is not None
        )


_EXPECTED: Final[Mapping[str, str]] = {
    "missing": "missing",
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected an integer",
    "int_parsing_size": "expected an integer",
    "list_type": "expected a list",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
    "dict_type": "expected an object",
    "invalid-json-value": "expected a JSON value",
}


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path or "body"


def _problem(error: ValidationError) -> str:
    details = error.errors(include_url=False, include_input=False, include_context=False)
    texts = []
    for detail in details[:3]:
        kind = detail["type"]
        expected = _EXPECTED.get(kind)
        if expected is None:
            expected = "expected a date-time" if kind.startswith(("datetime", "date")) else kind
        texts.append(f"{_field_path(detail['loc'])}: {expected}")
    more = len(details) - len(texts)
    return "; ".join(texts) + (f" (and {more} more)" if more else "")


def _request_id(body: Mapping[Any, object]) -> str | None:
    value = body.get("RequestId")
    return value if isinstance(value, str) else None


def parse_result(body: bytes | str | Mapping[str, object]) -> DiagnoseResult:
    """Validate a GetVpnGatewayDiagnoseResult body; raises only ``ResponseError``."""
    data: object = body
    if isinstance(body, (bytes, str)):
        try:
            data = decode_json(body)
        except ValueError as exc:
            raise ResponseError(_SERVICE, f"body is not JSON: {exc}") from None
    if not isinstance(data, Mapping):
        raise ResponseError(_SERVICE, f"body: expected a JSON object, got {json_type(data)}")
    mapping = dict(data)
    try:
        # Wire keys only: a stray snake_case key must stay an extra, not fill a field.
        return DiagnoseResult.model_validate(mapping, by_alias=True, by_name=False)
    except ValidationError as exc:
        raise ResponseError(_SERVICE, _problem(exc), _request_id(mapping)) from None

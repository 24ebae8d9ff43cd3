"""The sweep's configuration: ``VPNDIAG_SWEEP_*`` variables, next to the shared ``VPNDIAG_*`` ones.

Lists are comma-separated: ``VPNDIAG_SWEEP_REGIONS=cn-hangzhou,cn-shanghai``; tag filters are
``key=value`` or a bare ``key`` (any value): ``VPNDIAG_SWEEP_TAGS=env=prod,team``. Gateway ids
and tag filters exclude each other; with neither, every gateway of the regions is swept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from vpndiag import identifiers
from vpndiag.clients.endpoints import check_url
from vpndiag.config import PREFIX as SHARED_PREFIX
from vpndiag.errors import ConfigError

PREFIX: Final = SHARED_PREFIX + "SWEEP_"
MAX_TAGS: Final = 20  # DescribeVpnGateways takes Tag.1 .. Tag.20
# FC service and function names: a letter or underscore, then letters, digits, "_" and "-".
_FC_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,127}")

Mode = Literal["diagnose", "collect"]
Handoff = Literal["pool", "fc"]
Tag = tuple[str, str | None]


def _parts(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _split(value: object) -> object:
    """A comma-separated variable as a tuple; anything else (explicit configuration) as given."""
    return _parts(value) if isinstance(value, str) else value


class SweepSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    regions: tuple[str, ...] = Field(min_length=1, description="regions to sweep")
    gateway_ids: tuple[str, ...] = Field((), description="only these gateways (any region)")
    tags: tuple[Tag, ...] = Field((), description="only gateways with these tags")
    mode: Mode = Field(
        "diagnose",
        description="diagnose: start one diagnosis per connection; "
        "collect: hand off each gateway's latest result, starting nothing",
    )
    handoff: Handoff = Field(
        "pool", description="pool: archive in this process; fc: async-invoke the archive function"
    )
    concurrency: int = Field(16, ge=1, le=64, description="parallel calls (and pool archives)")
    fc_endpoint: str | None = Field(
        None, description="FC API base URL (default: the function's own region and account)"
    )
    archive_service: str | None = Field(
        None, description="FC service of the archive function (default: the sweep's own)"
    )
    archive_function: str = Field("archive", description="FC name of the archive function")
    reserve: float = Field(5.0, ge=0, le=300, description="seconds kept back to report")
    tunnel_status: bool = Field(
        True,
        description="log each tunnel's status every tick (record_type tunnel_status), "
        "through the shared log store",
    )

    @field_validator("regions", "gateway_ids", mode="before")
    @classmethod
    def _lists(cls, value: object) -> object:
        return _split(value)

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(identifiers.region(r) for r in value))

    @field_validator("gateway_ids")
    @classmethod
    def _gateways(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(identifiers.gateway_id(g) for g in value))

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        tags: list[Tag] = []
        for part in _parts(value):
            key, equals, tag_value = part.partition("=")
            tags.append((key.strip(), tag_value.strip() if equals else None))
        return tuple(tags)

    @field_validator("tags")
    @classmethod
    def _tag_count(cls, value: tuple[Tag, ...]) -> tuple[Tag, ...]:
        if len(value) > MAX_TAGS:
            raise ValueError(f"at most {MAX_TAGS} tag filters")
        if any(not key for key, _ in value):
            raise ValueError("a tag filter needs a key")
        return value

    @field_validator("fc_endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return check_url(env_name("fc_endpoint"), value) if value else None

    @field_validator("archive_service", "archive_function")
    @classmethod
    def _fc_name(cls, value: str | None) -> str | None:
        if value is not None and not _FC_NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not an FC service or function name")
        return value

    @model_validator(mode="after")
    def _one_filter(self) -> SweepSettings:
        if self.gateway_ids and self.tags:
            raise ValueError("name gateway ids or tag filters, not both")
        return self


def env_name(field: str) -> str:
    return PREFIX + field.upper()


def load(environ: Mapping[str, str], **overrides: object) -> tuple[SweepSettings, dict[str, str]]:
    """The sweep settings, and the environment without them (for ``vpndiag.config.load``)."""
    known = {env_name(name): name for name in SweepSettings.model_fields}
    mine = {k: v for k, v in environ.items() if k.startswith(PREFIX)}
    unknown = sorted(set(mine) - set(known))
    if unknown:
        raise ConfigError(unknown[0], f"is not a setting; known: {', '.join(sorted(known))}")
    values: dict[str, object] = {known[k]: v for k, v in mine.items() if v != ""}
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        settings = SweepSettings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        name = env_name(field) if field in SweepSettings.model_fields else PREFIX + "*"
        raise ConfigError(name, first["msg"]) from None
    rest = {k: v for k, v in environ.items() if k not in mine}
    return settings, rest

"""The report function's configuration: ``VPNDIAG_REPORT_*`` variables, next to the shared ones.

The shared settings say where the archive is (``VPNDIAG_OBJECT_STORE``), where the message goes
(``VPNDIAG_EVENT_BUS``), which actions table and thresholds apply; these say what a report covers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vpndiag.clients.endpoints import check_url
from vpndiag.config import PREFIX as SHARED_PREFIX
from vpndiag.errors import ConfigError

PREFIX: Final = SHARED_PREFIX + "REPORT_"


class ReportSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    days: int = Field(7, ge=1, le=92, description="days a report covers, ending with its date")
    samples: int = Field(
        31, ge=0, le=366, description="summaries read per connection for the trend charts"
    )
    workers: int = Field(8, ge=1, le=64, description="connections read at a time")
    url: str | None = Field(
        None,
        description="base URL under which readers open the archive's objects (a CDN or the "
        "bucket's own domain); the report's key is appended. Unset: the message names the "
        "oss:// location only",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return check_url(env_name("url"), value) if value else None


def env_name(field: str) -> str:
    return PREFIX + field.upper()


def load(environ: Mapping[str, str]) -> tuple[ReportSettings, dict[str, str]]:
    """The report settings, and the environment without them (for ``vpndiag.config.load``)."""
    known = {env_name(name): name for name in ReportSettings.model_fields}
    mine = {k: v for k, v in environ.items() if k.startswith(PREFIX)}
    unknown = sorted(set(mine) - set(known))
    if unknown:
        raise ConfigError(unknown[0], f"is not a setting; known: {', '.join(sorted(known))}")
    values = {known[k]: v for k, v in mine.items() if v != ""}
    try:
        settings = ReportSettings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        name = env_name(field) if field in ReportSettings.model_fields else PREFIX + "*"
        raise ConfigError(name, first["msg"]) from None
    return settings, {k: v for k, v in environ.items() if k not in mine}

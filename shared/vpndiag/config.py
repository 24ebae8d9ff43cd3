"""The one validated configuration of an instance, read from the environment once.

Every setting is an environment variable (FC passes configuration that way); a missing or invalid one
raises ``ConfigError`` naming the variable. Defaults are the embedded local ones: a filesystem object
store and a SQLite log store under ``var/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vpndiag.clients.endpoints import check_url
from vpndiag.errors import ConfigError

PREFIX = "VPNDIAG_"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    object_store: str = Field(
        "file:var/archive", description="file:<dir> or oss://<bucket>/<prefix>"
    )
    log_store: str = Field(
        "sqlite:var/vpndiag.sqlite3", description="sqlite:<path> or sls://<project>/<logstore>"
    )
    vpc_endpoint: str | None = Field(
        None, description="base URL overriding the regional endpoint; may hold {region}"
    )
    oss_endpoint: str | None = Field(
        None, description="base URL overriding OSS; may hold {bucket} and {region}"
    )
    sls_endpoint: str | None = Field(
        None, description="base URL overriding SLS; may hold {project} and {region}"
    )
    storage_region: str | None = Field(
        None, description="region of the bucket and log project (default: the function's)"
    )
    sls_signature: Literal["v1", "v4"] = "v1"
    network: Literal["public", "vpc"] = "public"
    signature: Literal["v3", "v1"] = "v3"
    http_proxy: str | None = Field(
        None, description="proxy for every cloud call (local runs against the emulator)"
    )
    http_timeout: float = Field(10.0, gt=0, le=300)
    max_attempts: int = Field(4, ge=1, le=10)
    poll_interval: float = Field(2.0, gt=0, le=60)
    write_reserve: float = Field(3.0, ge=0, le=300, description="seconds kept back for the writes")
    default_timeout: float = Field(
        60.0, gt=0, le=86400, description="used when the context has none"
    )
    account_id: str | None = None
    # Connection health over time (docs/health.md).
    health: bool = Field(True, description="track each connection's state and transitions")
    health_confirm: int = Field(
        2, ge=1, le=20, description="N: sightings that confirm a change ..."
    )
    health_window: int = Field(3, ge=1, le=20, description="... among the last M diagnoses")
    flap_changes: int = Field(3, ge=2, le=50, description="changes that make a connection flap ...")
    flap_window: int = Field(10, ge=2, le=200, description="... within this many diagnoses")
    quota_threshold: float | None = Field(80.0, gt=0, le=100, description="% used; off disables")
    rtt_threshold_ms: float | None = Field(150.0, gt=0, description="ms; off disables")
    loss_threshold: float | None = Field(5.0, gt=0, le=100, description="% lost; off disables")
    root_cause: bool = Field(True, description="DiagnoseVpnConnections for down tunnels")
    redaction: Literal["none", "ips", "drop"] = Field(
        "ips", description="what root-cause log lines keep of IP addresses"
    )
    actions_file: str | None = Field(None, description="JSON merged over the built-in actions")
    event_bus: str | None = Field(None, description="EventBridge custom bus; unset: no events")
    eventbridge_endpoint: str | None = Field(
        None, description="base URL overriding EventBridge; may hold {account} and {region}"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("object_store")
    @classmethod
    def _object_store(cls, value: str) -> str:
        if not value.startswith(("file:", "oss://")):
            raise ValueError("must start with file: or oss://")
        return value

    @field_validator("log_store")
    @classmethod
    def _log_store(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "sls://")):
            raise ValueError("must start with sqlite: or sls://")
        return value

    @field_validator("quota_threshold", "rtt_threshold_ms", "loss_threshold", mode="before")
    @classmethod
    def _off(cls, value: object) -> object:
        return None if isinstance(value, str) and value.lower() == "off" else value

    @field_validator("http_proxy")
    @classmethod
    def _proxy(cls, value: str | None) -> str | None:
        return check_url("VPNDIAG_HTTP_PROXY", value) if value else None


def env_name(field: str) -> str:
    return PREFIX + field.upper()


def load(environ: Mapping[str, str], **overrides: object) -> Settings:
    """Build settings from ``VPNDIAG_*`` variables; ``overrides`` win (explicit configuration)."""
    known = {env_name(name): name for name in Settings.model_fields}
    unknown = sorted(k for k in environ if k.startswith(PREFIX) and k not in known)
    if unknown:
        raise ConfigError(unknown[0], f"is not a setting; known: {', '.join(sorted(known))}")
    values: dict[str, object] = {known[k]: v for k, v in environ.items() if k in known and v != ""}
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        raise ConfigError(env_name(field), first["msg"]) from None
    # Every endpoint is checked at start, whether or not this instance builds its client.
    for name, placeholder, sample in (
        ("vpc_endpoint", "{region}", "cn-hangzhou"),
        ("oss_endpoint", "{bucket}", "bucket"),
        ("sls_endpoint", "{project}", "project"),
        ("eventbridge_endpoint", "{account}", "1234567890"),
    ):
        value = getattr(settings, name)
        if value:
            check_url(env_name(name), value.replace(placeholder, sample), proxy=settings.http_proxy)
    if settings.health_confirm > settings.health_window:
        raise ConfigError(
            env_name("health_confirm"),
            f"{settings.health_confirm} cannot exceed VPNDIAG_HEALTH_WINDOW ({settings.health_window})",
        )
    return settings

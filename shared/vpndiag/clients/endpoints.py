"""Where each service is reached: public, VPC-internal, or an explicit override from configuration.

Endpoints come only from configuration, never from an event, and must be HTTPS unless they (or the
configured proxy) are on loopback: no input can steer a signed request elsewhere.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from vpndiag import identifiers
from vpndiag.errors import ConfigError

Network = Literal["public", "vpc"]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_address(host: str) -> bool:
    """An IP literal or ``localhost``: a host no bucket or project name can be put in front of."""
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def addressed_directly(setting: str, override: str, proxy: str | None, sample: str) -> bool:
    """Validate an override base URL (``sample`` is it with its placeholders filled in); True when
    it names an address (an emulator), so requests go to it with the real host name elsewhere."""
    check_url(setting, sample, proxy=proxy)
    return is_address(urlsplit(sample.replace("{region}", "cn-hangzhou")).hostname or "")


def virtual_hosted(override: str, region: str, placeholder: str, name: str) -> str:
    """An override's base URL for ``name`` (bucket, project, account): its placeholder filled in,
    else ``name.`` put in front of the host, as the official SDKs do with a regional endpoint."""
    base = override.rstrip("/").replace("{region}", region)
    if placeholder in base:
        return base.replace(placeholder, name)
    scheme, _, rest = base.partition("://")
    return f"{scheme}://{name}.{rest}"


def check_url(setting: str, url: str, *, proxy: str | None = None) -> str:
    """Validate a configured base URL: scheme, host, and HTTPS unless loopback is involved."""
    parts = urlsplit(url.replace("{region}", "cn-hangzhou"))
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(setting, f"{url!r} is not an http(s) URL with a host")
    if parts.query or parts.fragment or parts.username:
        raise ConfigError(setting, "must not carry a query, fragment or user info")
    via_loopback = is_loopback(parts.hostname) or (
        proxy is not None and is_loopback(urlsplit(proxy).hostname or "")
    )
    if parts.scheme == "http" and not via_loopback:
        raise ConfigError(setting, "must use https unless it (or the proxy) is on loopback")
    return url.rstrip("/")


@dataclass(frozen=True)
class VpcEndpoints:
    """The VPC API's endpoint for a region."""

    network: Network = "public"
    override: str | None = None

    def url(self, region: str) -> str:
        identifiers.region(region)
        if self.override:
            return self.override.replace("{region}", region)
        prefix = "vpc-vpc" if self.network == "vpc" else "vpc"
        return f"https://{prefix}.{region}.aliyuncs.com"

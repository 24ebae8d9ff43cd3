"""What the deploy tool reads from template.yml: its parameters (names, defaults), nothing else.

PyYAML is a development dependency (the functions never read YAML): ``vpndiag deploy`` runs from
the project's development environment (``make setup``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from vpndiag.errors import ConfigError


class _Loader(yaml.SafeLoader):
    """YAML that reads ROS's short-form functions (``!Ref``, ``!Sub``, ...) as nothing: only the
    Parameters section, which holds none, is read."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)  # type: ignore[no-untyped-call]


def parameters(text: str) -> dict[str, str | None]:
    """Every parameter the template declares, with its default (None: it has none)."""
    try:
        document: Any = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError("--template", f"not YAML: {exc}") from None
    declared = document.get("Parameters") if isinstance(document, Mapping) else None
    if not isinstance(declared, Mapping):
        raise ConfigError("--template", "no Parameters section")
    return {
        str(name): (
            str(spec["Default"]) if isinstance(spec, Mapping) and "Default" in spec else None
        )
        for name, spec in declared.items()
    }


def check_parameters(declared: Mapping[str, str | None], given: Mapping[str, str]) -> None:
    """Every given parameter is declared, and every parameter without a default is given."""
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ConfigError("--parameter", f"the template has no parameter {', '.join(unknown)}")
    missing = sorted(n for n, default in declared.items() if default is None and n not in given)
    if missing:
        raise ConfigError("--parameter", f"required, no default: {', '.join(missing)}")

"""Recommended actions: every finding maps to a short action and a documentation link, in English
and Chinese, from one data table (``actions.json``) that users extend with their own file.

Unknown findings get the generic action: a finding never comes without advice.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vpndiag.errors import ConfigError

BUILTIN = Path(__file__).with_name("actions.json")
SETTING = "VPNDIAG_ACTIONS_FILE"


class _Text(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)
    doc: str = Field(min_length=1, description="a key of the docs table, or a URL")


class _Links(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    en: str
    zh: str


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    about: str = Field("", alias="_about")
    checks: dict[str, dict[str, _Text]] = {}
    negotiation: dict[str, _Text] = {}
    thresholds: dict[str, _Text] = {}
    tunnels: dict[str, _Text] = {}
    generic: _Text | None = None
    docs: dict[str, _Links] = {}


class Action(BaseModel):
    """What to do about one finding; ``key`` names the table entry it came from."""

    model_config = ConfigDict(frozen=True)

    key: str
    en: str
    zh: str
    doc_en: str
    doc_zh: str

    def text(self, language: Literal["en", "zh"] = "en") -> str:
        return self.en if language == "en" else self.zh


class ActionTable:
    def __init__(self, table: _Table) -> None:
        if table.generic is None:
            raise ConfigError(SETTING, "the merged action table has no generic action")
        self._table = table
        self._generic = table.generic

    def _action(self, key: str, text: _Text) -> Action:
        links = self._table.docs.get(text.doc)
        en, zh = (links.en, links.zh) if links else (text.doc, text.doc)
        return Action(key=key, en=text.en, zh=text.zh, doc_en=en, doc_zh=zh)

    def for_check(self, name: str, level: str) -> Action | None:
        """The action for a check at a level; ``None`` for ``normal`` (nothing to do)."""
        if level == "normal":
            return None
        text = self._table.checks.get(name, {}).get(level)
        if text is None:
            return self._action("generic", self._generic)
        return self._action(f"checks.{name}.{level}", text)

    def for_negotiation(self, code: str) -> Action:
        text = self._table.negotiation.get(code)
        if text is None:
            return self._action("generic", self._generic)
        return self._action(f"negotiation.{code}", text)

    def for_threshold(self, kind: str) -> Action:
        text = self._table.thresholds.get(kind)
        if text is None:
            return self._action("generic", self._generic)
        return self._action(f"thresholds.{kind}", text)

    def for_tunnel(self, level: str) -> Action | None:
        """The action for a tunnel at a level (``down``, ``unknown``); ``None`` for ``up``."""
        if level == "up":
            return None
        text = self._table.tunnels.get(level)
        if text is None:
            return self._action("generic", self._generic)
        return self._action(f"tunnels.{level}", text)


def _read(path: Path, setting: str) -> _Table:
    try:
        return _Table.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise ConfigError(setting, f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(setting, f"{path}: {where}: {first['msg']}") from None
        raise ConfigError(setting, f"{path} is not valid JSON: {exc}") from None


def _merge(base: _Table, extra: _Table) -> _Table:
    checks = {name: dict(levels) for name, levels in base.checks.items()}
    for name, levels in extra.checks.items():
        checks.setdefault(name, {}).update(levels)
    return _Table(
        checks=checks,
        negotiation={**base.negotiation, **extra.negotiation},
        thresholds={**base.thresholds, **extra.thresholds},
        tunnels={**base.tunnels, **extra.tunnels},
        generic=extra.generic or base.generic,
        docs={**base.docs, **extra.docs},
    )


@cache
def load(extra: str | None = None) -> ActionTable:
    """The built-in table, with the user's file (``VPNDIAG_ACTIONS_FILE``) merged over it."""
    table = _read(BUILTIN, "built-in actions.json")
    if extra:
        table = _merge(table, _read(Path(extra), SETTING))
    return ActionTable(table)

"""FC triggers: what CreateTrigger accepts, and the timer triggers the platform fires.

Trigger types are those ROS's ``ALIYUN::FC::Trigger.TriggerType`` documents (oss, log, tablestore,
timer, mns_topic, cdn_events, http, plus eventbridge from the FC API). Only timers are driven by
the emulated platform; the others are stored as configured (their ``config`` kept verbatim).

A timer's config keys are FC's ``TimerTriggerConfig`` (``cronExpression``, ``enable``,
``payload``: FC API reference, TimerTriggerConfig) or the same keys in PascalCase
(``CronExpression``, ``Enable``, ``Payload``), as the Serverless transform's ``Timer`` event
properties give them; any other key is refused with ``InvalidArgument``, as is a bad cron.
The event a timer delivers is ``{"triggerTime", "triggerName", "payload"}`` with ``payload`` the
configured string verbatim (FC's time-trigger page, "event format").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from vpndiag_emulator.core.clock import format_utc

from . import errors
from .cron import CronError, Schedule, parse_schedule

TRIGGER_TYPES: Final = frozenset(
    {"oss", "log", "tablestore", "timer", "mns_topic", "cdn_events", "http", "eventbridge"}
)
_TIMER_KEYS: Final = {
    "cronExpression": "cron",
    "CronExpression": "cron",
    "enable": "enable",
    "Enable": "enable",
    "payload": "payload",
    "Payload": "payload",
}


@dataclass(frozen=True)
class TimerConfig:
    schedule: Schedule
    enabled: bool
    payload: str


@dataclass
class Trigger:
    """One trigger; ``timer`` is set for timer triggers, whose firings up to ``last_run`` are
    done (it starts at creation: a new timer does not fire for times before it existed)."""

    service: str
    function: str
    name: str
    trigger_type: str
    config: dict[str, object]
    qualifier: str
    invocation_role: str | None
    source_arn: str | None
    created_at: datetime
    timer: TimerConfig | None
    last_run: datetime

    def timer_event(self, moment: datetime) -> bytes:
        """The payload the platform sends for a firing at ``moment``."""
        assert self.timer is not None
        event = {
            "triggerTime": format_utc(moment),
            "triggerName": self.name,
            "payload": self.timer.payload,
        }
        return json.dumps(event).encode("utf-8")


def parse_timer_config(config: Mapping[str, object], *, anchor: datetime) -> TimerConfig:
    """Check a timer's config as CreateTrigger does; ``InvalidArgument`` names what is wrong."""
    values: dict[str, object] = {}
    for key, value in config.items():
        canonical = _TIMER_KEYS.get(key)
        if canonical is None:
            raise errors.invalid_argument(
                f"timer trigger config has unknown key {key!r} (cronExpression, enable, payload)"
            )
        if canonical in values:
            raise errors.invalid_argument(f"timer trigger config sets {canonical!r} twice")
        values[canonical] = value
    cron = values.get("cron")
    if not isinstance(cron, str) or not cron.strip():
        raise errors.invalid_argument("timer trigger config needs cronExpression (a string)")
    try:
        schedule = parse_schedule(cron, anchor=anchor)
    except CronError as error:
        raise errors.invalid_argument(f"invalid cronExpression {cron!r}: {error}") from None
    payload = values.get("payload", "")
    if not isinstance(payload, str):
        raise errors.invalid_argument("timer trigger payload must be a string")
    # Inferred: a timer without ``enable`` is enabled (the console's default).
    return TimerConfig(schedule, _enabled(values.get("enable", True)), payload)


def _enabled(value: object) -> bool:
    if isinstance(value, bool):
        return value
    # Inferred: ROS passes template parameters as strings; "true"/"false" are what they hold.
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise errors.invalid_argument(f"timer trigger enable must be a boolean, not {value!r}")

"""FC function ``report``: wiring only. Builds the app once per instance, then one report per tick.

Handler ``index.handler``, initializer ``index.initializer``; triggered by a daily timer.
"""

from __future__ import annotations

import json
import os
from typing import Any

from vpndiag.report.app import ReportApp

_app: ReportApp | None = None


def initializer(context: Any) -> None:
    global _app  # noqa: PLW0603 - the instance-wide app is the point of an initializer
    _app = ReportApp.from_environment(os.environ)


def handler(event: Any, context: Any) -> str:
    if _app is None:
        initializer(context)
    assert _app is not None
    return json.dumps(_app.handle(event, context), ensure_ascii=False)

"""The report function's app: built once per instance, one daily report per timer tick.

A tick on day D reports the ``days`` days up to D-1 (the last whole day) and keeps, next to the
archive, create-only:

1. ``reports/daily/<D-1>.html``: the page;
2. ``reports/daily/<D-1>.message.json``: its message (docs/report-message.md);
3. the message, published as a ``vpndiag:Report:Published`` event to the custom bus, then
   ``reports/daily/<D-1>.published``.

A retry (or a second tick for the same day) finds what is there and does only what is missing: the
page is never rebuilt once its message is kept, the event never resent once its marker is.
Only an instance that dies between publishing and the marker makes the retry publish again; the
event id is the same, for consumers that de-duplicate (a DingTalk robot does not).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any, Final

from vpndiag import config, credentials
from vpndiag.archive.layout import canonical_json
from vpndiag.errors import ArchiveConflict, EventError
from vpndiag.health import actions
from vpndiag.health.wiring import event_publisher
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag.report import build, html, message
from vpndiag.report import settings as report_settings
from vpndiag.report.period import Period
from vpndiag.store.factory import Wiring, open_object_store

log = logging.getLogger("vpndiag.report")

FOLDER: Final = "reports/daily/"
_EXPECTED = 'a timer event, {"date": "YYYY-MM-DD"}, or an empty payload (yesterday)'


def report_day(event: bytes | str | Any, today: date) -> date:
    """The day to report: the day before a timer's ``triggerTime``, a ``date`` asked for, or
    (empty payload) yesterday."""
    document = event
    if isinstance(event, (bytes, str)):
        text = event.decode("utf-8", "replace") if isinstance(event, bytes) else event
        try:
            document = json.loads(text) if text.strip() else None
        except ValueError:
            raise EventError("a payload that is not JSON", _EXPECTED) from None
    if document is None or document == {}:
        return today - timedelta(days=1)
    if isinstance(document, dict) and isinstance(document.get("triggerTime"), str):
        try:
            return date.fromisoformat(document["triggerTime"][:10]) - timedelta(days=1)
        except ValueError:
            raise EventError("a timer event", _EXPECTED, "triggerTime is not a date") from None
    if isinstance(document, dict) and isinstance(document.get("date"), str):
        try:
            return date.fromisoformat(document["date"])
        except ValueError:
            raise EventError("a report request", _EXPECTED, "date is not YYYY-MM-DD") from None
    raise EventError("JSON of another shape", _EXPECTED)


class ReportApp:
    def __init__(
        self,
        settings: config.Settings,
        report: report_settings.ReportSettings,
        *,
        environ: Mapping[str, str],
        explicit_credentials: credentials.Credentials | None = None,
    ) -> None:
        self.settings = settings
        self.report = report
        self._environ = environ
        self._explicit = explicit_credentials
        self._credentials: credentials.Credentials | None = None
        self._context: object = None
        self._deadline = Deadline.after(settings.default_timeout)
        self._context_account: str | None = None
        session = new_session(proxy=settings.http_proxy)
        retry = RetryPolicy(attempts=settings.max_attempts)
        function_region = environ.get("ALIBABA_CLOUD_REGION") or environ.get("FC_REGION")

        def wiring() -> Wiring:
            return Wiring(
                session=session,
                credentials=self._current_credentials,
                retry=retry,
                deadline=lambda: self._deadline,
                function_region=function_region,
            )

        self.objects, self.prefix = open_object_store(settings, wiring)
        self.actions = actions.load(settings.actions_file)
        self.publisher = event_publisher(
            settings,
            session=session,
            credentials=self._current_credentials,
            retry=retry,
            account_id=lambda: settings.account_id or self._context_account,
            region=lambda: settings.storage_region or function_region,
        )
        logging.getLogger("vpndiag").setLevel(settings.log_level)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ReportApp:
        report, shared = report_settings.load(environ)
        return cls(config.load(shared), report, environ=environ)

    def _current_credentials(self) -> credentials.Credentials:
        # Resolved on the first cloud call only: a filesystem archive without a bus needs none.
        if self._credentials is None:
            self._credentials = credentials.resolve(
                explicit=self._explicit, context=self._context, environ=self._environ
            )
        return self._credentials

    def _begin(self, context: object) -> Deadline:
        # FC hands each invocation the role's current STS keys: take them fresh every time.
        self._context = context
        self._credentials = None
        self._deadline = Deadline.for_invocation(
            context, default_timeout=self.settings.default_timeout, reserve=1.0
        )
        account = getattr(context, "account_id", None)
        if isinstance(account, str) and account:
            self._context_account = account
        return self._deadline

    def handle(
        self, event: bytes | str | Any, context: object, *, now: datetime | None = None
    ) -> dict[str, Any]:
        """Report the day the event names; returns what was done and the message."""
        deadline = self._begin(context)
        moment = now or datetime.now(timezone.utc)
        return self.run(report_day(event, moment.date()), deadline, now=moment)

    def run(self, day: date, deadline: Deadline, *, now: datetime) -> dict[str, Any]:
        base = f"{self.prefix}{FOLDER}{day.isoformat()}"
        page_key, message_key, marker = f"{base}.html", f"{base}.message.json", f"{base}.published"
        location = self.objects.location(page_key)
        kept = self.objects.get(message_key)
        created = kept is None
        if kept is None:
            document = self._make(day, page_key, location, now)
            try:
                self.objects.put_if_absent(
                    message_key, canonical_json(document), content_type="application/json"
                )
            except ArchiveConflict:
                created = False  # a concurrent run kept its own first: everyone uses that one
            kept = self.objects.get(message_key)
        document = json.loads(kept or b"{}")
        published = False
        if self.publisher is not None and not self.objects.exists(marker):
            end = datetime.fromisoformat(document["period"]["to"].replace("Z", "+00:00"))
            self.publisher([message.event(document, subject=location, time=end)], deadline)
            self.objects.put_if_absent(marker, b"", content_type="text/plain")
            published = True
        log.info("report %s: %s", day, "created" if created else "kept", extra={"report": location})
        return {
            "status": "created" if created else "exists",
            "report": location,
            "published": published,
            "message": document,
        }

    def _make(self, day: date, page_key: str, location: str, now: datetime) -> dict[str, Any]:
        period = Period.ending(day, self.report.days, now=now)
        report = build.build(
            self.objects,
            self.prefix,
            period,
            actions=self.actions,
            thresholds=build.thresholds_of(self.settings),
            source=self.settings.object_store,
            now=now,
            samples=self.report.samples,
            workers=self.report.workers,
        )
        try:
            self.objects.put_if_absent(
                page_key, html.render(report).encode(), content_type="text/html; charset=utf-8"
            )
        except ArchiveConflict:
            log.info("report %s was written concurrently; the first one is kept", day)
        url = f"{self.report.url}/{page_key}" if self.report.url else None
        return message.build_message(report, day=day.isoformat(), location=location, url=url)

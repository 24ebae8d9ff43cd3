"""What an archive function instance builds once, and what it does per invocation."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from vpndiag import config, credentials
from vpndiag.archive.pipeline import ArchivePipeline, ArchiveResult
from vpndiag.clients.endpoints import VpcEndpoints
from vpndiag.clients.vpc import VpcClient
from vpndiag.errors import BatchError, VpndiagError
from vpndiag.events import parse_event
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag.store.factory import Wiring, open_log_store, open_object_store

log = logging.getLogger("vpndiag")


class ArchiveApp:
    def __init__(
        self,
        settings: config.Settings,
        *,
        environ: Mapping[str, str],
        explicit_credentials: credentials.Credentials | None = None,
    ) -> None:
        self.settings = settings
        self._environ = environ
        self._explicit = explicit_credentials
        self._credentials: credentials.Credentials | None = None
        self._deadline = Deadline.after(settings.default_timeout)
        session = new_session(proxy=settings.http_proxy)
        retry = RetryPolicy(attempts=settings.max_attempts)
        self.vpc = VpcClient(
            session=session,
            credentials=self._current_credentials,
            endpoints=VpcEndpoints(settings.network, settings.vpc_endpoint),
            retry=retry,
            signature=settings.signature,
            timeout=settings.http_timeout,
        )

        def wiring() -> Wiring:
            return Wiring(
                session=session,
                credentials=self._current_credentials,
                retry=retry,
                deadline=lambda: self._deadline,
                function_region=environ.get("ALIBABA_CLOUD_REGION") or environ.get("FC_REGION"),
            )

        self.objects, prefix = open_object_store(settings, wiring)
        self.logs = open_log_store(settings, wiring)
        self.pipeline = ArchivePipeline(
            source=self.vpc,
            objects=self.objects,
            logs=self.logs,
            prefix=prefix,
            poll_interval=settings.poll_interval,
            write_reserve=settings.write_reserve,
        )
        logging.getLogger("vpndiag").setLevel(settings.log_level)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ArchiveApp:
        return cls(config.load(environ), environ=environ)

    def _current_credentials(self) -> credentials.Credentials:
        if self._credentials is None:
            self._credentials = credentials.resolve(
                explicit=self._explicit, context=None, environ=self._environ
            )
        return self._credentials

    def handle(self, event: bytes | str | Any, context: object) -> dict[str, Any]:
        """Archive every diagnosis the event names; raise if any could not be archived."""
        # FC hands each invocation the role's current STS keys: take them fresh every time.
        self._credentials = credentials.resolve(
            explicit=self._explicit, context=context, environ=self._environ
        )
        deadline = self._deadline = Deadline.for_invocation(
            context, default_timeout=self.settings.default_timeout, reserve=1.0
        )
        invocation_id = str(getattr(context, "request_id", "") or "local")
        parsed = parse_event(event, invocation_id=invocation_id)
        results: list[ArchiveResult] = []
        failures: list[tuple[int, VpndiagError]] = list(parsed.rejected)
        for index, request in enumerate(parsed.requests):
            try:
                results.append(self.pipeline.archive(request, deadline))
            except VpndiagError as exc:
                log.warning("archive of %s failed: %s", request.correlation_id, exc)
                failures.append((index, exc))
        total = len(parsed.requests) + len(parsed.rejected)
        if failures:
            if total == 1:
                raise failures[0][1]
            raise BatchError(failures, total)
        return {"archived": [r.to_json() for r in results]}

"""The measured process: one function instance of one side, serving invocations.

It runs as ``python -c CODE`` (``CODE`` below, built by ``command``), so nothing but the standard
library is loaded before the clock starts; then it loads the side's ``index.py`` by file, as FC does,
and calls its handler once per diagnosis, with a direct-invocation event. Each request the process
sends is timed at ``http.client`` (every client on both sides sends through it), so a stall shows
up in the latency distribution whoever causes it. It prints one JSON line: timings, CPU, peak RSS and the request latencies.

Peak RSS is the process's own high-water mark (``VmHWM``). ``getrusage(RUSAGE_SELF).ru_maxrss``
is reported beside it but not used: on Linux a child spawned by ``subprocess`` (vfork, then exec)
starts with the parent's RSS as its maximum, so it measures the bench as much as the function.

Modes: ``cold`` (import, then the first invocation: what a cold start costs) and ``warm`` (a few
unmeasured invocations, then ``count`` measured ones: the per-diagnosis cost of a warm instance).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from bench.common import PYTHON, Side, index_of

# Kept to the standard library until the handler module is loaded: the clock starts first.
CODE = r"""
import time
_started = time.perf_counter()
_cpu_started = time.process_time()
import importlib.util, json, os, resource, socket, sys, types

# As deployed: the unpacked code package first on the path (FC's /code).
if os.environ.get("BENCH_CODE_DIR"):
    sys.path.insert(0, os.environ["BENCH_CODE_DIR"])
# The stand-in for DNS: the cloud's host names (kept by SDKs that need them) resolve to loopback,
# where the emulator answers by the Host header, as the cloud routes.
_domain = os.environ.get("BENCH_LOOPBACK_DOMAIN")
if _domain:
    _getaddrinfo = socket.getaddrinfo

    def _loopback(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(_domain):
            host = "127.0.0.1"
        return _getaddrinfo(host, *args, **kwargs)

    socket.getaddrinfo = _loopback

mode, index, first, count, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])


def event(n):
    return json.dumps({"RegionId": "cn-hangzhou", "DiagnoseId": "vpndgn-bench%08d" % n}).encode()


def context(n):
    return types.SimpleNamespace(
        request_id="bench-%d" % n,
        function=types.SimpleNamespace(name="archive", timeout=60, memory=256),
        credentials=None,
    )


spec = importlib.util.spec_from_file_location("index", index)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
imported = time.perf_counter()

latencies = []
import http.client

# Timed where every client on both sides meets the wire: http.client (urllib3 runs on it, and so
# does the project's transport), from the request line to the answer's headers. Patching requests'
# HTTPAdapter.send instead would turn the project away from its own transport (see
# vpndiag.http.session) and time a path it does not take.
_putrequest = http.client.HTTPConnection.putrequest
_getresponse = http.client.HTTPConnection.getresponse


def timed_putrequest(self, *args, **kwargs):
    self._bench_started = time.perf_counter()
    return _putrequest(self, *args, **kwargs)


def timed_getresponse(self, *args, **kwargs):
    try:
        return _getresponse(self, *args, **kwargs)
    finally:
        latencies.append(time.perf_counter() - self._bench_started)


http.client.HTTPConnection.putrequest = timed_putrequest
http.client.HTTPConnection.getresponse = timed_getresponse

statuses = {}


def invoke(n):
    # Counted in the answer's text: decoding it would add the bench's own work to the measure.
    answer = module.handler(event(n), context(n))
    for status in ("archived", "replayed"):
        found = answer.count('"status": "%s"' % status)
        if found:
            statuses[status] = statuses.get(status, 0) + found


result = {"mode": mode}
if mode == "cold":
    invoke(first)
    done = time.perf_counter()
    result.update(
        import_seconds=imported - _started,
        first_invocation_seconds=done - imported,
        cold_seconds=done - _started,
        cpu_seconds=time.process_time() - _cpu_started,
    )
else:
    for n in range(first, first + warmup):
        invoke(n)
    del latencies[:]
    statuses.clear()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu, wall = time.process_time(), time.perf_counter()
    for n in range(first + warmup, first + warmup + count):
        invoke(n)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_SELF)
    result.update(
        count=count,
        cpu_seconds=cpu,
        user_seconds=after.ru_utime - usage.ru_utime,
        system_seconds=after.ru_stime - usage.ru_stime,
        wall_seconds=wall,
    )


def peak_rss_kib():
    # The peak of this process's own memory since exec (VmHWM). getrusage's ru_maxrss is not:
    # on Linux it starts from the parent's RSS when the child is spawned (vfork, then exec), so a
    # child of a large parent would report the parent's size.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


result.update(
    statuses=statuses,
    requests=len(latencies),
    latencies_ms=[round(x * 1000, 3) for x in latencies],
    max_rss_kib=peak_rss_kib(),
    ru_maxrss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
)
print(json.dumps(result))
"""


def command(
    side: Side,
    mode: str,
    first: int,
    count: int = 1,
    warmup: int = 0,
    *,
    index: Path | None = None,
) -> list[str]:
    """The argv of a measured process of ``side`` (``index``: the code folder holding index.py)."""
    handler = index / "index.py" if index is not None else index_of(side)
    return [PYTHON, "-c", CODE, mode, str(handler), str(first), str(count), str(warmup)]


def summarise_latencies(latencies_ms: Sequence[float]) -> dict[str, float | int]:
    """The request latency distribution, and how many requests look stalled (>= 30 ms)."""
    from bench.common import percentile

    return {
        "requests": len(latencies_ms),
        "p50_ms": percentile(latencies_ms, 50),
        "p90_ms": percentile(latencies_ms, 90),
        "p99_ms": percentile(latencies_ms, 99),
        "max_ms": max(latencies_ms, default=0.0),
        "stalled": sum(1 for x in latencies_ms if x >= 30.0),
    }


def histogram(latencies_ms: Sequence[float]) -> dict[str, int]:
    """Requests per latency band (ms)."""
    edges = (0.5, 1, 2, 5, 10, 20, 30, 50, 100)
    bands: dict[str, int] = {}
    lower = 0.0
    for edge in edges:
        bands[f"{lower:g}-{edge:g}"] = sum(1 for x in latencies_ms if lower <= x < edge)
        lower = edge
    bands[f">={lower:g}"] = sum(1 for x in latencies_ms if x >= lower)
    return bands


def main() -> None:
    print(json.dumps(command("project", "cold", 0)))


if __name__ == "__main__":
    main()

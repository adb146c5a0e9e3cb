"""Load: one relay process with 1,000 robots and their operators, beside a bare fan-out server.

For each server in turn (RoboDeck's relay, then the minimal `websockets`
forwarder of bench/bare.py), on 127.0.0.1:

1. load: `robots` robots each send `rate` telemetry batches a second to
   their own operator, and each operator sends `drive_rate` drives a second
   back (2: an operator nudging the robot now and then; 10 is a key held
   down on every one of the 1,000), for `seconds` s (generator processes:
   bench/loadgen.py). Printed: telemetry
   delay p50/p99, drives lost or reordered, the server's CPU and memory at
   the start and end of the run (flat means no leak).
2. idle: `idle` connections that send nothing, held for `idle_seconds`;
   printed: how many survived, memory per connection and CPU while idle.

Goals (issue 5): zero drives lost or reordered, p99 under 50 ms, memory
flat, 5,000 idle connections held. `python -m bench.load --help` for sizes;
`run()` returns the figures (tests/test_limits_soak.py runs a small one).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.procs import free_port, stop, wait_for_port
from bench.stats import percentiles_ms, ratio

#: Connections one process may hold, plus the generator's own: raise the soft limit.
FDS_WANTED = 20_000


@dataclass
class Sizes:
    robots: int = 1000
    rate: float = 20
    drive_rate: float = 2
    seconds: float = 60
    idle: int = 5000
    idle_seconds: float = 10
    workers: int = 2


SERVERS = {
    "robodeck relay": ["-m", "app.relay", "--open", "--max-per-ip", "0", "--port"],
    "bare websockets": ["-m", "bench.bare", "relay", "--port"],
}


def raise_fd_limit() -> None:
    """Children inherit it: the server and the generators need thousands of sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = FDS_WANTED if hard == resource.RLIM_INFINITY else min(FDS_WANTED, hard)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


@contextlib.contextmanager
def server(args: Sequence[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A server process on a free port (its log to `log`); terminated afterwards."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, *args, str(port)], stdout=out, stderr=out)
    proc.port = port  # type: ignore[attr-defined]
    try:
        wait_for_port(port)
        yield proc
    finally:
        stop(proc, 10)


@dataclass
class Sampler:
    """RSS (MB) and CPU seconds of one process, sampled in a thread."""

    pid: int
    period: float = 0.5
    rss_mb: list[float] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Sampler:
        self._cpu0, self._t0 = cpu_seconds(self.pid), time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu_percent = 100 * (cpu_seconds(self.pid) - self._cpu0) / (time.monotonic() - self._t0)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.rss_mb.append(rss_mb(self.pid))
            self.times.append(time.monotonic())

    def slope_mb_per_min(self) -> float:
        """Least-squares growth of RSS over the second half of the run (after warm-up)."""
        half = len(self.rss_mb) // 2
        if len(self.rss_mb) - half < 3:
            return 0.0
        t, r = np.array(self.times[half:]), np.array(self.rss_mb[half:])
        return float(np.polyfit(t - t[0], r, 1)[0] * 60)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks of 10 ms


def _workers(url: str, sizes: Sizes, folder: Path) -> list[tuple[subprocess.Popen[str], Path]]:
    per = -(-sizes.robots // sizes.workers)
    started = []
    for w in range(sizes.workers):
        first, count = w * per, min(per, sizes.robots - w * per)
        if count <= 0:
            break
        out = folder / f"delays-{w}.npy"
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.loadgen", "load", "--url", url, "--first", str(first),
             "--count", str(count), "--rate", str(sizes.rate), "--drive-rate", str(sizes.drive_rate),
             "--seconds", str(sizes.seconds), "--out", str(out)],
            stdout=subprocess.PIPE, text=True,
        )
        started.append((proc, out))
    return started


def load_phase(url: str, pid: int, sizes: Sizes, folder: Path) -> dict[str, Any]:
    with Sampler(pid) as sampler:
        workers = _workers(url, sizes, folder)
        tallies = [json.loads(proc.communicate()[0].strip().splitlines()[-1]) for proc, _ in workers]
    arrivals, delays_us = np.concatenate([np.load(out) for _, out in workers], axis=1)
    delays = delays_us.astype(np.float64) / 1e6
    totals = {k: sum(t[k] for t in tallies) for k in tallies[0]}
    return {
        **totals, **{f"delay_{k}": v for k, v in percentiles_ms(delays).items()},
        "p99_by_second": p99_by_second(arrivals, delays),
        "cpu_percent": sampler.cpu_percent, "rss_start_mb": sampler.rss_mb[min(4, len(sampler.rss_mb) - 1)],
        "rss_end_mb": sampler.rss_mb[-1], "rss_slope_mb_per_min": sampler.slope_mb_per_min(),
    }


def p99_by_second(arrivals_us: np.ndarray, delays_s: np.ndarray) -> list[float]:
    """The p99 delay (ms) of the batches that arrived in each second of the run.

    One slow second among sixty moves the run's p99 little but says where
    the relay fell behind and whether it caught up again.
    """
    second = (arrivals_us - arrivals_us.min()) // 1_000_000
    return [float(np.percentile(delays_s[second == s], 99) * 1000)
            for s in range(int(second.max()) + 1) if np.any(second == s)]


def idle_phase(url: str, pid: int, sizes: Sizes) -> dict[str, Any]:
    before = rss_mb(pid)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.loadgen", "idle", "--url", url, "--count", str(sizes.idle),
         "--seconds", str(sizes.idle_seconds)], stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    json.loads(proc.stdout.readline())  # all open
    with Sampler(pid) as sampler:
        held = json.loads(proc.stdout.readline())
    proc.wait()
    during = max(sampler.rss_mb, default=rss_mb(pid))
    return {
        **held, "idle_cpu_percent": sampler.cpu_percent,
        "kb_per_connection": (during - before) * 1024 / max(1, held["opened"]),
    }


def measure(name: str, sizes: Sizes, folder: Path) -> dict[str, Any]:
    with server(SERVERS[name], folder / f"{name.split()[0]}.log") as proc:
        url = f"ws://127.0.0.1:{proc.port}"  # type: ignore[attr-defined]
        figures = load_phase(url, proc.pid, sizes, folder)
        if sizes.idle:
            figures.update(idle_phase(url, proc.pid, sizes))
    return figures


def run(sizes: Sizes | None = None, servers: Sequence[str] = tuple(SERVERS),
        quiet: bool = False) -> dict[str, dict[str, Any]]:
    """Measure each server in turn; print and return {server: figures}."""
    sizes = sizes or Sizes()
    raise_fd_limit()
    with tempfile.TemporaryDirectory(prefix="robodeck-load-") as tmp:
        results = {name: measure(name, sizes, Path(tmp)) for name in servers}
    if not quiet:
        report(sizes, results)
    return results


ROWS = [
    ("telemetry delay p50 (ms)", "delay_p50", "{:.2f}"),
    ("telemetry delay p99 (ms)", "delay_p99", "{:.2f}"),
    ("telemetry delay max (ms)", "delay_max", "{:.1f}"),
    ("worst second's p99 (ms)", "worst_second_p99", "{:.1f}"),
    ("seconds with p99 over 50 ms", ("seconds_over_50", "seconds_measured"), "{} of {}"),
    ("telemetry sent / received", ("tel_sent", "tel_received"), "{} / {}"),
    ("drives sent", "drives_sent", "{}"),
    ("drives lost / reordered", ("drives_lost", "drives_reordered"), "{} / {}"),
    ("server CPU (% of a core)", "cpu_percent", "{:.0f}"),
    ("server RSS start -> end (MB)", ("rss_start_mb", "rss_end_mb"), "{:.1f} -> {:.1f}"),
    ("RSS growth, 2nd half (MB/min)", "rss_slope_mb_per_min", "{:+.2f}"),
    ("idle connections held", ("held", "opened"), "{} / {}"),
    ("memory per idle connection (kB)", "kb_per_connection", "{:.1f}"),
    ("CPU while idle (% of a core)", "idle_cpu_percent", "{:.1f}"),
]


def report(sizes: Sizes, results: dict[str, dict[str, Any]]) -> None:
    for figures in results.values():
        by_second = figures["p99_by_second"]
        figures["worst_second_p99"] = max(by_second)
        figures["seconds_over_50"] = sum(p > 50 for p in by_second)
        figures["seconds_measured"] = len(by_second)
    print(f"load: {sizes.robots} robots x {sizes.rate:g} telemetry batches/s (8 ch x 5 samples) to "
          f"their own operator, {sizes.drive_rate:g} drives/s back, {sizes.seconds:g} s; "
          f"then {sizes.idle} idle connections for {sizes.idle_seconds:g} s")
    names = list(results)
    print(f"  {'':34}" + "".join(f"{n:>20}" for n in names) + ("   ratio" if len(names) == 2 else ""))
    for label, keys, fmt in ROWS:
        keys_t = keys if isinstance(keys, tuple) else (keys,)
        if any(k not in results[n] for n in names for k in keys_t):
            continue
        cells = [fmt.format(*(results[n][k] for k in keys_t)) for n in names]
        line = f"  {label:34}" + "".join(f"{c:>20}" for c in cells)
        if len(names) == 2 and not isinstance(keys, tuple) and keys.startswith(("delay", "cpu")):
            line += f"   {ratio(results[names[0]][keys], results[names[1]][keys])}"
        print(line)
    ours = results.get("robodeck relay")
    if ours:
        goals = {
            "zero drives lost or reordered": ours["drives_lost"] + ours["drives_reordered"] == 0,
            "p99 under 50 ms": ours["delay_p99"] < 50,
            "memory flat (< 1 MB/min)": abs(ours["rss_slope_mb_per_min"]) < 1,
        }
        if "held" in ours:
            goals[f"{sizes.idle} idle connections held"] = ours["held"] == sizes.idle
        print("  goals: " + "; ".join(f"{g}: {'yes' if ok else 'NO'}" for g, ok in goals.items()))
    for name, figures in results.items():
        if figures["seconds_over_50"]:
            print(f"  {name}, p99 by second (ms): "
                  + " ".join(f"{p:.0f}" for p in figures["p99_by_second"]))


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    defaults = Sizes()
    for name, value in vars(defaults).items():
        ap.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    ap.add_argument("--only", choices=list(SERVERS), help="measure one server only")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = ap.parse_args()
    sizes = Sizes(**{k: getattr(args, k) for k in vars(defaults)})
    results = run(sizes, [args.only] if args.only else tuple(SERVERS), quiet=args.json)
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()

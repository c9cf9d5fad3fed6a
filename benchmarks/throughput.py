"""Throughput benchmark: the real headless crawler against the perf demo web, in two processes.

For every row the script starts the perf demo web (N sites x P pages of ~25 KB, fixed latency)
in its own process, then runs `python -m tui_scraper crawl -f domains.txt --connect-to ...` in
another and measures that process alone: wall time, CPU user+sys (os.wait4, so every process
of the crawler counts), peak RSS (ru_maxrss), blocks written, and, sampled from /proc while it
runs, CPU and RSS by quarter of the batch (per-page cost that grows with the batch shows there).

    .venv/bin/python benchmarks/throughput.py --quick
    .venv/bin/python benchmarks/throughput.py --rows c12-200x50 --profile benchmarks/results

Run with `--list` for the rows and `--help` for the options. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import ctypes
import hashlib
import itertools
import json
import math
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_INTERVAL_S = 0.5


@dataclass(frozen=True, slots=True)
class Row:
    """One benchmark configuration."""

    key: str
    sites: int
    pages: int
    concurrency: int
    per_domain: int = 4
    note: str = ""
    # over HTTPS with the demo web's CA (--ca-bundle); else plain HTTP, https refused
    tls: bool = False

    @property
    def total_pages(self) -> int:
        return self.sites * self.pages

    @property
    def in_flight(self) -> int:
        return min(self.concurrency, self.sites) * self.per_domain

    def bound_s(self, latency: float) -> float:
        """The latency bound of the brief: pages x latency / requests in flight."""
        return self.total_pages * latency / self.in_flight

    def path_bound_s(self, latency: float) -> float:
        """A tighter floor: robots.txt, then the start page, one after the other; then the
        other P-1 pages and sitemap.xml in rounds of `per_domain`; domains run in waves."""
        per_domain = (2 + math.ceil(self.pages / self.per_domain)) * latency
        return math.ceil(self.sites / min(self.concurrency, self.sites)) * per_domain


ROWS: dict[str, Row] = {
    row.key: row
    for row in (
        Row("tare", 1, 1, 1, note="startup cost: one site, one page"),
        Row("c1-20x50", 20, 50, 1, note="20x50 subset (c=1 on 200x50 would take ~50 min)"),
        Row("c12-20x50", 20, 50, 12, note="same subset at c=12; also the 1k-page size row"),
        Row("c5-200x50", 200, 50, 5),
        Row("c12-200x50", 200, 50, 12, note="also the 10k-page size row"),
        Row("c50-200x50", 200, 50, 50),
        Row("c12-1000x50", 1000, 50, 12, note="the 50k-page size row"),
        Row("c1-20x50-tls", 20, 50, 1, note="c1-20x50 over HTTPS", tls=True),
        Row("c12-20x50-tls", 20, 50, 12, note="c12-20x50 over HTTPS", tls=True),
        Row("c12-200x50-tls", 200, 50, 12, note="c12-200x50 over HTTPS", tls=True),
        Row("c50-200x50-tls", 200, 50, 50, note="c50-200x50 over HTTPS", tls=True),
        Row("mem-10000x10", 10_000, 10, 12, note="memory row: 100k pages over 10,000 domains"),
    )
}
DEFAULT_ROWS = ("tare", "c1-20x50", "c12-20x50", "c5-200x50", "c12-200x50", "c50-200x50")
QUICK_ROWS = ("tare", "c1-20x50", "c12-20x50", "c12-200x50")
SIZE_ROWS = ("c12-20x50", "c12-200x50", "c12-1000x50")
MEMORY_ROW = "mem-10000x10"


@dataclass(slots=True)
class Sample:
    t: float
    cpu_s: float
    rss_mb: float
    pages: int
    threads_cpu_s: float = 0.0  # CPU of the threads other than the main one
    fds: int = 0  # open file descriptors (sockets, store files)
    tree_rss_mb: float = 0.0  # RSS of the crawler and every process of its own


@dataclass(slots=True)
class Result:
    row: Row
    latency: float
    command: list[str]
    exit_code: int
    wall_s: float
    batch_s: float | None
    pages: int
    domains_done: int
    domains_failed: int
    cpu_user_s: float
    cpu_sys_s: float
    peak_rss_mb: float
    written_mb: float
    store_mb: float
    timed_out: bool
    profiled: bool
    server: dict[str, Any] = field(default_factory=dict)
    server_cpu_s: float = 0.0
    gc: dict[str, Any] | None = None
    code: str = ""
    orphans: int = 0  # descendants that outlived the crawler (reaped and counted here)
    children_cpu_s: float = 0.0  # their CPU (a parser pool's forkserver and workers)
    samples: list[Sample] = field(default_factory=list)

    @property
    def cpu_s(self) -> float:
        return self.cpu_user_s + self.cpu_sys_s

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.cpu_s / self.pages if self.pages else math.nan

    def net_ms_per_page(self, tare_cpu_s: float | None) -> float:
        if tare_cpu_s is None or not self.pages or self.row.key == "tare":
            return math.nan
        return 1000 * (self.cpu_s - tare_cpu_s) / self.pages

    def quarters(self) -> list[tuple[float, float]]:
        """(CPU ms per page, RSS MB at the end) for each quarter of the pages, from samples."""
        marks: list[Sample] = [Sample(0.0, 0.0, 0.0, 0)]
        total = self.pages
        if total < 400 or len(self.samples) < 4:
            return []
        for quarter in (1, 2, 3):
            target = total * quarter / 4
            hit = next((s for s in self.samples if s.pages >= target), None)
            if hit is None:
                return []
            marks.append(hit)
        last = self.samples[-1]
        end = Sample(self.wall_s, self.cpu_s, last.rss_mb, total, tree_rss_mb=last.tree_rss_mb)
        marks.append(end)
        out: list[tuple[float, float]] = []
        for before, after in itertools.pairwise(marks):
            pages = after.pages - before.pages
            cpu = after.cpu_s - before.cpu_s
            rss = max(after.rss_mb, after.tree_rss_mb)
            out.append((1000 * cpu / pages if pages > 0 else math.nan, rss))
        return out


# -- processes --------------------------------------------------------------------------------


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment without proxy settings, so every request goes to 127.0.0.1 directly."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in {"http_proxy", "https_proxy", "all_proxy", "ws_proxy", "wss_proxy"}
        and k != "TUI_SCRAPER_DB"
    }
    env["NO_PROXY"] = env["no_proxy"] = "*"
    env.setdefault("PYTHONHASHSEED", "0")
    if extra:
        env.update(extra)
    return env


def wait_with_deadline(
    pid: int, deadline_s: float | None, grace_s: float = 30.0
) -> tuple[int, Any, bool]:
    """os.wait4 the process; SIGINT it at the deadline and SIGKILL it `grace_s` later."""
    fired = threading.Event()

    def stop() -> None:
        fired.set()
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)
        time.sleep(grace_s)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    timer = threading.Timer(deadline_s, stop) if deadline_s else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    _, status, usage = os.wait4(pid, 0)
    if timer is not None:
        timer.cancel()
    return os.waitstatus_to_exitcode(status), usage, fired.is_set()


PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Make orphaned descendants of the crawler (a process pool's workers, a forkserver) this
    process's children, so their CPU can still be counted once the crawler has exited."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def process_table() -> dict[int, tuple[int, float, float]]:
    """pid -> (parent pid, own CPU s, CPU s of its reaped children) of every process."""
    table: dict[int, tuple[int, float, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        own = (int(fields[11]) + int(fields[12])) / CLK_TCK
        reaped = (int(fields[13]) + int(fields[14])) / CLK_TCK
        table[int(entry)] = (int(fields[1]), own, reaped)
    return table


def tree_usage(
    roots: Iterable[int], table: dict[int, tuple[int, float, float]]
) -> tuple[float, float]:
    """CPU s (with what they reaped) and RSS MB of the processes `roots` and their live
    descendants."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for pid, (ppid, _own, _reaped) in table.items():
        children[ppid].append(pid)
    cpu = rss = 0.0
    stack = [pid for pid in roots if pid in table]
    while stack:
        pid = stack.pop()
        _ppid, own, reaped = table[pid]
        cpu += own + reaped
        with contextlib.suppress(OSError, IndexError, ValueError):
            rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE / 2**20
        stack.extend(children.get(pid, ()))
    return cpu, rss


def orphans(exclude: set[int]) -> list[int]:
    """Processes reparented to this one (it is a subreaper), other than `exclude`."""
    me = os.getpid()
    return [
        pid for pid, (ppid, _o, _r) in process_table().items() if ppid == me and pid not in exclude
    ]


def reap_orphans(exclude: set[int], timeout_s: float = 15.0) -> tuple[float, float, int]:
    """Wait for the orphaned descendants (SIGKILL after `timeout_s`); their user s, sys s, count."""
    deadline = time.monotonic() + timeout_s
    user = system = 0.0
    count = 0
    while pending := orphans(exclude):
        for pid in pending:
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            try:
                done, _status, usage = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:
                exclude.add(pid)
                continue
            if done:
                user += usage.ru_utime
                system += usage.ru_stime
                count += 1
        time.sleep(0.05)
    return user, system, count


class DemoProcess:
    """The perf demo web in its own process: `python -m tui_scraper.demo --perf [--counters]`."""

    def __init__(
        self, python: str, row: Row, page_bytes: int, latency: float, plain: bool, folder: Path
    ) -> None:
        cmd = [python, "-m", "tui_scraper.demo", "--perf", str(row.sites), str(row.pages)]
        cmd += ["--page-bytes", str(page_bytes), "--latency", str(latency)]
        if not plain:
            cmd.append("--counters")
        self.command = cmd
        self._err = (folder / "demo.stderr").open("wb")
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=self._err, env=clean_env(), cwd=ROOT
        )
        assert self.proc.stdout is not None
        killer = threading.Timer(120, self.proc.kill)
        killer.start()
        line = self.proc.stdout.readline()
        killer.cancel()
        if not line:
            raise RuntimeError(f"the demo web did not start: {shlex.join(cmd)}")
        self.info: dict[str, Any] = json.loads(line)
        self.stats: dict[str, Any] = {}
        self.cpu_s = 0.0

    def stop(self) -> None:
        assert self.proc.stdout is not None
        self.proc.send_signal(signal.SIGTERM)
        killer = threading.Timer(60, self.proc.kill)
        killer.start()
        rest = self.proc.stdout.read()
        _, _, usage = os.wait4(self.proc.pid, 0)
        killer.cancel()
        self.proc.returncode = 0  # reaped above; Popen must not wait again
        self.cpu_s = usage.ru_utime + usage.ru_stime
        self._err.close()
        for line in rest.splitlines():
            with contextlib.suppress(ValueError):
                self.stats = json.loads(line)


_DOMAIN_LINE = re.compile(rb"^\[(\d+)/(\d+)\] .* (\w+) \(.*, (\d+) pages$")
_FINAL_LINE = re.compile(
    rb"^batch (\w+): (\d+)/(\d+) domains, (\d+) failed, (\d+) pages in ([\d.]+)s$"
)


class Progress:
    """Reads the crawler's plain-line progress (stderr) as it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.partial = b""
        self.pages = 0
        self.done = 0
        self.failed = 0
        self.final: tuple[str, int, float] | None = None
        self.lock = threading.Lock()

    def poll(self) -> int:
        with self.lock:
            try:
                with self.path.open("rb") as handle:
                    handle.seek(self.offset)
                    chunk = handle.read()
            except FileNotFoundError:
                return self.pages
            self.offset += len(chunk)
            *lines, self.partial = (self.partial + chunk).split(b"\n")
            for line in lines:
                match = _DOMAIN_LINE.match(line)
                if match:
                    self.pages += int(match.group(4))
                    self.done += 1
                    self.failed += match.group(3) == b"failed"
                    continue
                final = _FINAL_LINE.match(line)
                if final:
                    status = final.group(1).decode()
                    self.final = (status, int(final.group(5)), float(final.group(6)))
            return self.pages


def proc_sample(pid: int, started: float, pages: int) -> Sample | None:
    """CPU (all threads, and the non-main threads apart) and RSS of a live process, from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        statm = Path(f"/proc/{pid}/statm").read_text()
        tids = [int(tid) for tid in os.listdir(f"/proc/{pid}/task") if int(tid) != pid]
    except OSError:
        return None
    threads = 0.0
    for tid in tids:
        with contextlib.suppress(OSError):
            threads += _stat_cpu(Path(f"/proc/{pid}/task/{tid}/stat").read_text())
    try:
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        fds = 0
    rss = int(statm.split()[1]) * PAGE_SIZE / 2**20
    return Sample(time.monotonic() - started, _stat_cpu(stat), rss, pages, threads, fds)


def _stat_cpu(stat: str) -> float:
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


# The --gc-stats wrapper: the same `python -m tui_scraper` entry point, plus gc.callbacks that
# add up the CPU time spent in collections, written as JSON at exit.
_GC_WRAPPER = """
import atexit, gc, json, os, runpy, time
_stats = {"collections": [0, 0, 0], "cpu_s": [0.0, 0.0, 0.0], "collected": [0, 0, 0]}
_start = [0.0]
def _on_gc(phase, info):
    if phase == "start":
        _start[0] = time.process_time()
        return
    g = info["generation"]
    _stats["collections"][g] += 1
    _stats["cpu_s"][g] += time.process_time() - _start[0]
    _stats["collected"][g] += info["collected"]
gc.callbacks.append(_on_gc)
def _dump():
    _stats["objects_at_exit"] = len(gc.get_objects())
    with open(os.environ["TPUT_GC_OUT"], "w") as handle:
        json.dump(_stats, handle)
atexit.register(_dump)
runpy.run_module("tui_scraper", run_name="__main__", alter_sys=True)
"""


def limit_files(nofile: int) -> Callable[[], None]:
    """A preexec_fn giving the crawler `nofile` file descriptors (1024 is a common default)."""

    def apply() -> None:
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(nofile, hard), hard))

    return apply


def py_spy_path(python: str) -> str:
    beside = Path(python).parent / "py-spy"
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if not found:
        raise SystemExit("py-spy not found: .venv/bin/pip install py-spy")
    return found


def run_row(row: Row, opts: argparse.Namespace, profile_out: Path | None = None) -> Result:
    """Serve the row's perf web, run the crawler against it and measure the crawler."""
    with tempfile.TemporaryDirectory(prefix=f"tput-{row.key}-") as tmp:
        folder = Path(tmp)
        code = code_fingerprint()
        demo = DemoProcess(opts.python, row, opts.page_bytes, opts.latency, opts.plain_demo, folder)
        try:
            result = _run_crawler(row, opts, folder, demo, profile_out)
        finally:
            demo.stop()
        result.server = demo.stats
        result.code = code
        result.server_cpu_s = demo.cpu_s
        return result


def _run_crawler(
    row: Row, opts: argparse.Namespace, folder: Path, demo: DemoProcess, profile_out: Path | None
) -> Result:
    domains = folder / "domains.txt"
    domains.write_text("\n".join(demo.info["domains"]) + "\n", encoding="utf-8")
    (folder / "db").mkdir()
    crawl_args = ["crawl", "-f", "domains.txt"]
    info = demo.info
    if row.tls:
        rules = [f":443:127.0.0.1:{info['tls_port']}"]
        crawl_args += ["--ca-bundle", info["ca_bundle"]]
    else:  # https refused at once, so every domain falls back to http, as before
        rules = [f":443:127.0.0.1:{info['refused_port']}", f":80:127.0.0.1:{info['port']}"]
    for rule in rules:
        crawl_args += ["--connect-to", rule]
    crawl_args += [
        "--concurrency",
        str(row.concurrency),
        "--per-domain",
        str(row.per_domain),
        "--max-pages",
        str(max(row.pages, opts.max_pages or 0)),
        "--db",
        "db/store.json",
    ]
    extra_env: dict[str, str] = {}
    if opts.gc_stats:
        extra_env["TPUT_GC_OUT"] = str(folder / "gc.json")
        cmd = [opts.python, "-c", _GC_WRAPPER, *crawl_args]
    else:
        cmd = [opts.python, "-m", "tui_scraper", *crawl_args]
    if profile_out is not None:
        spy = [
            py_spy_path(opts.python),
            "record",
            "--format",
            "raw",
            "--nonblocking",
            "--subprocesses",
        ]
        spy += ["--rate", str(opts.profile_rate), "-o", str(profile_out), "--"]
        cmd = spy + cmd
    stderr_path = folder / "crawl.stderr"
    progress = Progress(stderr_path)
    samples: list[Sample] = []
    with (folder / "crawl.stdout").open("wb") as out, stderr_path.open("wb") as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=err,
            cwd=folder,
            env=clean_env(extra_env),
            preexec_fn=limit_files(opts.nofile) if opts.nofile else None,
        )
        stop_sampling = threading.Event()

        def sampler() -> None:
            while not stop_sampling.wait(SAMPLE_INTERVAL_S):
                pages = progress.poll()
                sample = proc_sample(proc.pid, started, pages)
                if sample is not None:
                    roots = [proc.pid, *orphans({demo.proc.pid, proc.pid})]
                    sample.cpu_s, sample.tree_rss_mb = tree_usage(roots, process_table())
                    samples.append(sample)

        thread = threading.Thread(target=sampler, daemon=True)
        if profile_out is None:  # under py-spy the pid is py-spy's own
            thread.start()
        code, usage, timed_out = wait_with_deadline(proc.pid, opts.row_timeout)
        wall = time.monotonic() - started
        proc.returncode = code  # reaped by wait4
        stop_sampling.set()
        if thread.is_alive():
            thread.join()
        orphan_user, orphan_sys, orphan_count = reap_orphans({demo.proc.pid})
    progress.poll()
    if code not in (0, 3) and not timed_out:
        tail = stderr_path.read_bytes()[-2000:].decode("utf-8", "replace")
        print(f"  crawler exited {code}; stderr tail:\n{tail}", file=sys.stderr)
    gc_stats = None
    if opts.gc_stats and (folder / "gc.json").exists():
        gc_stats = json.loads((folder / "gc.json").read_text())
    store_bytes = sum(p.stat().st_size for p in (folder / "db").rglob("*") if p.is_file())
    final = progress.final
    return Result(
        row=row,
        latency=opts.latency,
        command=[shlex.quote(part) if part != _GC_WRAPPER else "<gc wrapper>" for part in cmd],
        exit_code=code,
        wall_s=wall,
        batch_s=final[2] if final else None,
        pages=final[1] if final else progress.pages,
        domains_done=progress.done - progress.failed,
        domains_failed=progress.failed,
        cpu_user_s=usage.ru_utime + orphan_user,
        cpu_sys_s=usage.ru_stime + orphan_sys,
        orphans=orphan_count,
        children_cpu_s=orphan_user + orphan_sys,
        peak_rss_mb=usage.ru_maxrss / 1024,
        written_mb=usage.ru_oublock * 512 / 2**20,
        store_mb=store_bytes / 2**20,
        timed_out=timed_out,
        profiled=profile_out is not None,
        gc=gc_stats,
        samples=samples,
    )


# -- profile analysis -------------------------------------------------------------------------

_PROCESS = re.compile(r'process \d+:".*?"(?:;|$)')
_CHILD = ("<child process>", "<process>")
_FRAME = re.compile(r"^(?P<func>.*) \((?P<path>[^()]*?)(?::(?P<line>\d+))?\)$")

# (category, function names or None for any, path fragments); matched on every frame, the
# deepest match in a stack wins. The asyncio rule is only a fallback (every stack has it).
_HOPS = "fetch: executor hops (aiohttp trust_env: netrc, env proxy)"
_RULES: list[tuple[str, frozenset[str] | None, tuple[str, ...]]] = [
    (
        _HOPS,
        frozenset(
            {
                "_get_netrc_auth",
                "netrc_from_env",
                "get_env_proxy_for_url",
                "run_in_executor",
                "to_thread",
                "submit",
                "_read_from_self",
                "_write_to_self",
                "_process_self_data",
                "call_soon_threadsafe",
            }
        ),
        ("aiohttp/", "asyncio/", "concurrent/futures/"),
    ),
    ("events: fan-out + progress", frozenset({"__call__"}), ("tui_scraper/store.py",)),
    ("store writes (TinyDB, JSON, fsync)", None, ("tui_scraper/store.py", "tinydb/")),
    ("events: fan-out + progress", None, ("tui_scraper/headless.py", "engine/events.py")),
    (
        "fetch (aiohttp client, http.py)",
        None,
        ("tui_scraper/engine/http.py", "aiohttp/", "aiohappyeyeballs/"),
    ),
    ("decode", None, ("tui_scraper/engine/decode.py", "w3lib/encoding", "charset_normalizer/")),
    ("parse (lxml via parsel)", frozenset({"_parse"}), ("tui_scraper/engine/extract.py",)),
    ("parse (lxml via parsel)", None, ("parsel/",)),
    (
        "contacts (emails, phones)",
        frozenset(
            {
                "_emails_from_text",
                "_emails_from_mailto",
                "_email_ok",
                "_phone_from_tel",
                "_phones_from_text",
                "_worth_matching",
            }
        ),
        ("tui_scraper/engine/extract.py",),
    ),
    ("contacts (emails, phones)", None, ("phonenumbers/", "engine/phones.py", "engine/emails.py")),
    (
        "links: resolve + canonicalize + socials",
        frozenset({"_resolve", "_clean_url", "_social_profile", "_looks_like_profile"}),
        ("tui_scraper/engine/extract.py",),
    ),
    (
        "links: resolve + canonicalize + socials",
        None,
        ("tui_scraper/engine/urls.py", "tui_scraper/engine/socials.py"),
    ),
    (
        "frontier (dedupe, scope, robots check)",
        frozenset({"_enqueue_links", "allows", "fresh", "push"}),
        ("tui_scraper/engine/crawl.py", "engine/frontier.py", "engine/robots.py"),
    ),
    ("frontier (dedupe, scope, robots check)", None, ("protego", "tui_scraper/engine/robots.py")),
    ("extract: tree walk, text, word count", None, ("tui_scraper/engine/extract.py",)),
    (
        "crawl bookkeeping (page record, pool)",
        None,
        ("tui_scraper/engine/crawl.py", "tui_scraper/engine/pool.py"),
    ),
]
_ASYNCIO = ("asyncio/", "selectors.py")
_STARTUP = "startup (imports, input, settings)"
_ENDING = "end of batch (summary, final close)"


def categorize(frames: Sequence[tuple[str, str]]) -> str:
    """The category of one sampled stack (root first) of the crawler process."""
    if frames and frames[0] == _CHILD:
        # A process of the crawler's own (a parsing pool's worker, its forkserver).
        return "[child process] " + (_by_rules(frames[1:]) or "ipc, waiting, startup")
    paths = [path for _func, path in frames]
    funcs = [func for func, _path in frames]
    if frames and frames[0][1].endswith("threading.py"):
        if any("concurrent/futures/process.py" in p or "multiprocessing/" in p for p in paths):
            return "threads: process-pool feeding (pickling, pipes)"
        # Otherwise aiohttp's per-request netrc and proxy lookups (trust_env=True).
        return _HOPS
    if any("importlib" in path for path in paths):
        return _STARTUP
    # --nonblocking samples are sometimes cut short at the root: judge those by their frames.
    rooted = bool(frames) and frames[0][0] in {"_run_module_as_main", "<module>"}
    in_loop = any("asyncio/runners.py" in path for path in paths)
    if rooted and not in_loop:
        # After the loop: the final store close, then `report` reading the store back.
        if "report" in funcs or "summary_table" in funcs or "summary_json" in funcs:
            return _ENDING
        if "run_headless_batch" in funcs or "__exit__" in funcs or "close" in funcs:
            if any("tui_scraper/store.py" in p or "tinydb/" in p for p in paths):
                return "store writes (TinyDB, JSON, fsync)"
            return _ENDING
        return _STARTUP
    category = _by_rules(frames)
    if category is not None:
        return category
    if any(fragment in path for path in paths for fragment in _ASYNCIO):
        return "asyncio loop (scheduling, socket I/O)"
    return "other"


def _by_rules(frames: Sequence[tuple[str, str]]) -> str | None:
    """The category of the deepest frame that a rule names, if any."""
    category: str | None = None
    for func, path in frames:
        for name, funcs_wanted, fragments in _RULES:
            if (funcs_wanted is None or func in funcs_wanted) and any(
                fragment in path for fragment in fragments
            ):
                category = name
                break
    return category


def short_path(path: str) -> str:
    for marker in ("site-packages/", "/tui_scraper/", "/lib/python3"):
        at = path.find(marker)
        if at >= 0:
            tail = path[at + len(marker) :]
            return ("tui_scraper/" + tail) if marker == "/tui_scraper/" else tail
    return path


def parse_raw(path: Path) -> Iterable[tuple[list[tuple[str, str]], int]]:
    """Stacks (root first, (function, file)) and sample counts of a py-spy raw file."""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames: list[tuple[str, str]] = []
        # --subprocesses prefixes `process PID:"command line";` (a command line may hold ";").
        processes = 0
        while match := _PROCESS.match(stack):
            processes += 1
            stack = stack[match.end() :]
        if processes > 1:
            frames.append(_CHILD)
        for frame in stack.split(";") if stack else ["<no Python frame>"]:
            match = _FRAME.match(frame)
            if match:
                frames.append((match.group("func"), match.group("path")))
            else:
                frames.append((frame, ""))
        yield frames, int(count)


def analyze(path: Path, cpu_ms_per_page: float | None = None, top: int = 10) -> str:
    """A per-category breakdown and the top functions by own and inclusive time."""
    categories: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for frames, count in parse_raw(path):
        total += count
        categories[categorize(frames)] += count
        if frames:
            func, file = frames[-1]
            own[f"{func} ({short_path(file)})"] += count
        for name in {f"{func} ({short_path(file)})" for func, file in frames}:
            inclusive[name] += count
    if not total:
        return f"{path}: no samples\n"
    lines = [f"profile {path.name}: {total} non-idle samples", ""]
    head = f"{'category':62} {'samples':>8} {'% CPU':>7}"
    if cpu_ms_per_page is not None:
        head += f" {'ms/page':>8}"
    lines += [head, "-" * len(head)]
    for name, count in categories.most_common():
        line = f"{name:62} {count:8d} {100 * count / total:6.1f}%"
        if cpu_ms_per_page is not None:
            line += f" {cpu_ms_per_page * count / total:8.2f}"
        lines.append(line)
    lines += ["", f"top {top} functions by own time (leaf frame; C calls count to the caller)"]
    for rank, (name, count) in enumerate(own.most_common(top), 1):
        lines.append(f"{rank:3d}. {100 * count / total:5.1f}%  {name}")
    lines += ["", "top tui_scraper functions by inclusive time"]
    ours = [(n, c) for n, c in inclusive.most_common() if "(tui_scraper/" in n]
    for name, count in ours[:15]:
        lines.append(f"     {100 * count / total:5.1f}%  {name}")
    return "\n".join(lines) + "\n"


# -- report -----------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    out = [
        "  ".join(
            str(c).rjust(w) if i else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [header, *rows]
    ]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def report(results: Sequence[Result], opts: argparse.Namespace) -> str:
    tare = next((r.cpu_s for r in results if r.row.key == "tare" and not r.profiled), None)
    timing: list[list[str]] = []
    cost: list[list[str]] = []
    serve_rows: list[list[str]] = []
    for r in results:
        row = r.row
        bound = row.bound_s(r.latency)
        path_bound = row.path_bound_s(r.latency)
        status = "timeout" if r.timed_out else str(r.exit_code)
        if r.profiled:
            status += " (py-spy)"
        timing.append(
            [
                row.key,
                f"{row.sites}x{row.pages}",
                str(row.concurrency),
                str(row.per_domain),
                str(row.in_flight),
                str(r.pages),
                fmt(r.wall_s, 2),
                fmt(r.batch_s, 2),
                fmt(bound, 2),
                fmt(r.wall_s / bound, 2),
                fmt(r.batch_s / bound if r.batch_s else None, 2),
                fmt(path_bound, 2),
                fmt(r.pages / r.batch_s if r.batch_s else r.pages / r.wall_s, 0),
                status,
            ]
        )
        cost.append(
            [
                row.key,
                str(r.pages),
                fmt(r.cpu_user_s, 2),
                fmt(r.cpu_sys_s, 2),
                fmt(r.cpu_s, 2),
                fmt(r.cpu_ms_per_page, 2),
                fmt(r.net_ms_per_page(tare), 2),
                fmt(r.peak_rss_mb, 0),
                fmt(max(x.tree_rss_mb for x in r.samples), 0) if r.samples else "-",
                fmt(r.written_mb, 0),
                fmt(r.store_mb, 1),
                fmt(r.children_cpu_s, 2),
                fmt(max(x.threads_cpu_s for x in r.samples), 2) if r.samples else "-",
                str(max(x.fds for x in r.samples)) if r.samples else "-",
                fmt(r.gc["cpu_s"][2], 2) if r.gc else "-",
                r.code,
            ]
        )
        s = r.server
        serve_rows.append(
            [
                row.key,
                str(s.get("requests", "-")),
                str(s.get("robots_txt", "-")),
                str(s.get("sitemap_xml", "-")),
                str(s["requests"] - s["robots_txt"] - s["sitemap_xml"]) if s else "-",
                str(s.get("repeated", "-")),
                str(s.get("max_hosts_in_flight", "-")),
                str(s.get("max_per_host_in_flight", "-")),
                fmt(s.get("mean_in_flight"), 1),
                fmt(r.server_cpu_s, 1),
            ]
        )
    parts = [
        "Time (wall = the crawler process from exec to exit; batch = the crawler's own timer)",
        table(
            [
                "row",
                "web",
                "c",
                "pd",
                "inflt",
                "pages",
                "wall s",
                "batch s",
                "bound s",
                "wall/bnd",
                "batch/bnd",
                "path-bnd s",
                "pages/s",
                "exit",
            ],
            timing,
        ),
        "",
        "Cost of the crawler process (CPU user+sys and peak RSS via os.wait4; net = minus tare;"
        " child procs = CPU of processes that outlived it, e.g. a parser pool, included in CPU;"
        " threads = CPU of its non-main threads, fds = open descriptors, all procs RSS = sum over"
        " the crawler and its own processes; those three sampled)",
        table(
            [
                "row",
                "pages",
                "user s",
                "sys s",
                "CPU s",
                "CPU ms/pg",
                "net ms/pg",
                "peak RSS MB",
                "all procs RSS MB",
                "disk written MB",
                "store MB",
                "child procs s",
                "threads s",
                "peak fds",
                "gc gen2 s",
                "code sha1",
            ],
            cost,
        ),
        "",
        "Server side (the perf demo web's own counters; robots.txt and sitemap.xml answer 404)",
        table(
            [
                "row",
                "requests",
                "robots.txt",
                "sitemap.xml",
                "pages",
                "repeated",
                "max hosts",
                "max/host",
                "mean inflt",
                "server CPU s",
            ],
            serve_rows,
        ),
    ]
    quarter_rows = []
    for r in results:
        q = r.quarters()
        if q:
            quarter_rows.append(
                [r.row.key] + [fmt(ms, 2) for ms, _ in q] + [fmt(rss, 0) for _, rss in q]
            )
    if quarter_rows:
        parts += [
            "",
            "CPU ms per page and RSS MB (all the crawler's processes) by quarter of the batch"
            " (sampled from /proc every 0.5 s)",
            table(
                ["row", "q1 ms", "q2 ms", "q3 ms", "q4 ms", "q1 RSS", "q2 RSS", "q3 RSS", "q4 RSS"],
                quarter_rows,
            ),
        ]
    gc_rows = [r for r in results if r.gc]
    if gc_rows:
        parts += ["", "Garbage collector (--gc-stats): collections and CPU s per generation"]
        parts.append(
            table(
                ["row", "gen0 n", "gen1 n", "gen2 n", "gen0 s", "gen1 s", "gen2 s", "% of CPU"],
                [
                    [
                        r.row.key,
                        *(str(n) for n in r.gc["collections"]),
                        *(fmt(s, 2) for s in r.gc["cpu_s"]),
                        fmt(100 * sum(r.gc["cpu_s"]) / r.cpu_s if r.cpu_s else None, 1),
                    ]
                    for r in gc_rows
                ],
            )
        )
    by_key = {r.row.key: r for r in results if not r.profiled}
    tls_rows = []
    for r in by_key.values():
        plain = by_key.get(r.row.key.removesuffix("-tls")) if r.row.tls else None
        if plain is not None and plain.cpu_ms_per_page and plain.wall_s:
            tls_rows.append(
                [
                    plain.row.key,
                    fmt(plain.cpu_ms_per_page, 2),
                    fmt(r.cpu_ms_per_page, 2),
                    fmt(r.cpu_ms_per_page / plain.cpu_ms_per_page, 2),
                    fmt(plain.wall_s / plain.row.bound_s(plain.latency), 2),
                    fmt(r.wall_s / r.row.bound_s(r.latency), 2),
                    fmt(r.wall_s / plain.wall_s, 2),
                ]
            )
    if tls_rows:
        parts += [
            "",
            "The price of TLS: each row over HTTP and over HTTPS, in the same run",
            table(
                [
                    "row",
                    "http ms/pg",
                    "https ms/pg",
                    "CPU ratio",
                    "http wall/bnd",
                    "https wall/bnd",
                    "wall ratio",
                ],
                tls_rows,
            ),
        ]
    notes = [f"  {r.row.key}: {r.row.note}" for r in results if r.row.note]
    if notes:
        parts += ["", "Notes", *notes]
    parts += [
        "",
        "bound = pages x latency / (min(concurrency, sites) x per_domain); path-bnd adds what",
        "one domain cannot overlap (robots.txt, then the start page; then the other pages and",
        "sitemap.xml in rounds of per_domain) and runs domains in waves of `concurrency`.",
        "",
        "Commands (run in a temporary folder; PORT, REFUSED, TLS_PORT and the CA file come from"
        " the demo process):",
    ]
    for r in results:
        parts.append(f"  {r.row.key}: {' '.join(r.command)}")
    return "\n".join(parts) + "\n"


def code_fingerprint() -> str:
    """A hash of the package's sources: others edit them while benchmarks run."""
    digest = hashlib.sha1()
    for path in sorted((ROOT / "tui_scraper").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def environment(opts: argparse.Namespace) -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"tui-scraper throughput benchmark, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}\n"
        f"python {platform.python_version()} ({opts.python}), {os.cpu_count()} CPUs, "
        f"{platform.machine()} {platform.system()} {platform.release()}, load {load}\n"
        f"tui_scraper/*.py sha1 {code_fingerprint()}; page {opts.page_bytes} bytes, "
        f"latency {opts.latency * 1000:g} ms"
        + (f", crawler RLIMIT_NOFILE {opts.nofile}" if opts.nofile else "")
        + "\n"
    )


# -- command line ------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--rows", help="comma-separated row keys (see --list), or custom ones: cC-SITESxPAGES"
    )
    p.add_argument("--quick", action="store_true", help=f"rows {', '.join(QUICK_ROWS)}")
    p.add_argument("--sizes", action="store_true", help=f"the size rows {', '.join(SIZE_ROWS)}")
    p.add_argument("--all", action="store_true", help="every row but the memory row")
    p.add_argument(
        "--tls", action="store_true", help="also each row's HTTPS twin (ROW-tls), where it has one"
    )
    p.add_argument("--memory", action="store_true", help=f"add {MEMORY_ROW} (long)")
    p.add_argument("--list", action="store_true", help="list the rows and exit")
    p.add_argument("--latency", type=float, default=0.05, help="server latency s (0.05)")
    p.add_argument("--page-bytes", type=int, default=25_000, help="page size (25000)")
    p.add_argument("--max-pages", type=int, default=0, help="--max-pages (default: P)")
    p.add_argument(
        "--row-timeout",
        type=float,
        default=3600.0,
        help="SIGINT the crawler after this many seconds (3600)",
    )
    p.add_argument("--nofile", type=int, help="RLIMIT_NOFILE of the crawler (default: inherited)")
    p.add_argument(
        "--gc-stats",
        action="store_true",
        help="run the CLI through a runpy wrapper that times the garbage collector",
    )
    p.add_argument(
        "--profile",
        metavar="DIR",
        type=Path,
        help="run the rows under py-spy record; raw stacks and breakdowns go to DIR",
    )
    p.add_argument("--profile-rate", type=int, default=250, help="py-spy samples/s (250)")
    p.add_argument("--analyze", metavar="RAW", type=Path, help="print the breakdown of a raw file")
    p.add_argument(
        "--ms-per-page",
        type=float,
        help="with --analyze: the unprofiled CPU ms/page, to show each category in ms/page",
    )
    p.add_argument("--out", type=Path, help="also write the report to this file")
    p.add_argument("--json", type=Path, help="also write the raw results as JSON")
    p.add_argument(
        "--plain-demo",
        action="store_true",
        help="serve without the demo web's `--counters` (no server counters)",
    )
    p.add_argument("--python", default=sys.executable, help="interpreter of both processes")
    return p


def select_rows(opts: argparse.Namespace) -> list[Row]:
    keys: list[str] = []
    if opts.rows:
        keys += [k.strip() for k in opts.rows.split(",") if k.strip()]
    if opts.quick:
        keys += QUICK_ROWS
    if opts.sizes:
        keys += ["tare", *SIZE_ROWS]
    if opts.all:
        keys += [*DEFAULT_ROWS, "c12-1000x50"]
    if not keys:
        keys += DEFAULT_ROWS
    if opts.tls:  # each row's HTTPS twin, run right after it
        keys = [k for key in keys for k in (key, f"{key}-tls") if k in ROWS or k == key]
    if opts.memory:
        keys.append(MEMORY_ROW)
    rows: list[Row] = []
    for key in dict.fromkeys(keys):
        row = ROWS.get(key) or custom_row(key)
        if row is None:
            raise SystemExit(f"unknown row {key!r}; --list shows them, or write cC-SITESxPAGES")
        rows.append(row)
    return rows


def custom_row(key: str) -> Row | None:
    """A row written as `cC-SITESxPAGES` (per-domain 4), e.g. `c12-3000x10`."""
    match = re.fullmatch(r"c(\d+)-(\d+)x(\d+)", key)
    if match is None:
        return None
    concurrency, sites, pages = (int(g) for g in match.groups())
    return Row(key, sites, pages, concurrency, note="custom row")


def main(argv: Sequence[str] | None = None) -> int:
    opts = parser().parse_args(argv)
    if opts.analyze:
        print(analyze(opts.analyze, opts.ms_per_page), end="")
        return 0
    if opts.list:
        for row in ROWS.values():
            print(
                f"{row.key:14} {row.sites:6d} x {row.pages:3d}  c={row.concurrency:<3d} "
                f"pd={row.per_domain}  bound {row.bound_s(opts.latency):7.1f} s  {row.note}"
            )
        return 0
    rows = select_rows(opts)
    if not become_subreaper():
        print("warning: not a subreaper; CPU of orphaned crawler processes is not counted")
    header = environment(opts)
    print(header, flush=True)
    results: list[Result] = []
    for row in rows:
        profile_out = None
        if opts.profile is not None:
            opts.profile.mkdir(parents=True, exist_ok=True)
            profile_out = (opts.profile / f"profile-{row.key}.pyspy.txt").resolve()
        print(
            f"running {row.key}: {row.sites}x{row.pages} c={row.concurrency} "
            f"pd={row.per_domain} (bound {row.bound_s(opts.latency):.1f} s)",
            flush=True,
        )
        result = run_row(row, opts, profile_out)
        results.append(result)
        print(
            f"  {result.pages} pages in {result.wall_s:.1f} s, CPU {result.cpu_s:.2f} s "
            f"({result.cpu_ms_per_page:.2f} ms/page), peak RSS {result.peak_rss_mb:.0f} MB",
            flush=True,
        )
        if profile_out is not None and profile_out.exists():
            breakdown = analyze(profile_out)
            (opts.profile / f"profile-{row.key}.breakdown.txt").write_text(breakdown)
            print(breakdown)
    text = header + "\n" + report(results, opts)
    print("\n" + text, end="")
    if opts.out:
        opts.out.parent.mkdir(parents=True, exist_ok=True)
        opts.out.write_text(text, encoding="utf-8")
    if opts.json:
        opts.json.parent.mkdir(parents=True, exist_ok=True)
        data = [
            {**asdict(r), "samples": [asdict(s) for s in r.samples], "row": asdict(r.row)}
            for r in results
        ]
        opts.json.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

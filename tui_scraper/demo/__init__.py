"""The built-in demo web: fake sites served on 127.0.0.1 for demos, tests and benchmarks."""

from __future__ import annotations

from .perf import build_perf_web
from .server import DEMO_LATENCY_S, DemoServer
from .stats import DemoStats, HostStats
from .truth import DemoFile, DemoPage, DemoSite, DemoWeb
from .web import build_demo_web

__all__ = [
    "DEMO_LATENCY_S",
    "DemoFile",
    "DemoPage",
    "DemoServer",
    "DemoSite",
    "DemoStats",
    "DemoWeb",
    "HostStats",
    "build_demo_web",
    "build_perf_web",
]

"""The built-in demo web: fake sites served on 127.0.0.1 for demos, tests and benchmarks."""

from __future__ import annotations

from .server import DEMO_LATENCY_S, DemoServer, DemoStats, HostStats
from .sites import DemoFile, DemoPage, DemoSite, DemoWeb, build_demo_web, build_perf_web

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

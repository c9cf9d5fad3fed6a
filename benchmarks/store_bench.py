"""Store benchmark: page records saved through the StoreWriter at growing batch sizes.

Each size runs in its own process, so peak RSS is that size's alone. Pages arrive
as the engine sends them (PageFetched events) and are flushed every FLUSH_EVERY
pages, as the writer's timer would at a brisk crawl rate. The table shows how the
cost per record grows with the batch: flat means linear total cost.

    python benchmarks/store_bench.py            # 10k, 50k, 100k pages
    python benchmarks/store_bench.py 1000 5000  # other sizes
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAGES_PER_DOMAIN = 25
FLUSH_EVERY = 250  # ~0.5 s of pages at 500 pages/s


def run_one(size: int) -> dict[str, float]:
    """Write `size` page records into a fresh store; measured in this process."""
    from tui_scraper.engine.crawl import DomainJob, new_domain_record
    from tui_scraper.engine.events import (
        BatchFinished,
        BatchStarted,
        BatchStatus,
        DomainFinished,
        DomainStarted,
        PageFetched,
    )
    from tui_scraper.store import Store, StoreWriter
    from tui_scraper.targets import Target

    domains = max(1, size // PAGES_PER_DOMAIN)
    jobs = [
        DomainJob(
            "bench-batch",
            f"job-{i}",
            Target(f"site-{i}.test", f"site-{i}.test", f"https://site-{i}.test/", False, i + 1),
        )
        for i in range(domains)
    ]
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "store.json"
        store = Store.open(str(db), write=True)
        writer = StoreWriter(store)
        started_cpu = time.process_time()
        started = time.perf_counter()
        writer(BatchStarted("bench-batch", {}, [new_domain_record(job) for job in jobs]))
        written = 0
        for index, job in enumerate(jobs):
            domain = job.target.domain
            writer(DomainStarted(job.job_id, domain, job.target.start_url, "t"))
            for n in range(PAGES_PER_DOMAIN):
                if written == size:
                    break
                writer(PageFetched(job.job_id, domain, page(job.job_id, domain, n), n + 1, 0))
                written += 1
                if written % FLUSH_EVERY == 0:
                    writer.write_pending()
            record = {**new_domain_record(job), "status": "done", "pages_ok": PAGES_PER_DOMAIN}
            writer(DomainFinished(job.job_id, domain, record))  # type: ignore[arg-type]
            if index == len(jobs) - 1:
                writer(BatchFinished("bench-batch", BatchStatus.COMPLETED, {}, "t"))
        writer.close()
        store.close()
        wall = time.perf_counter() - started
        cpu = time.process_time() - started_cpu
        disk = sum(p.stat().st_size for p in Path(folder).rglob("*.json"))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "pages": written,
        "wall_s": wall,
        "cpu_s": cpu,
        "us_per_record": wall / written * 1e6,
        "peak_rss_mb": peak_kb / 1024,
        "disk_mb": disk / 1e6,
    }


def page(job_id: str, domain: str, n: int) -> dict[str, object]:
    """A page record of realistic size (about 1 KB of JSON)."""
    url = f"http://{domain}/section/page-{n}?ref=nav"
    return {
        "batch_id": "bench-batch",
        "job_id": job_id,
        "domain": domain,
        "url": url,
        "final_url": url,
        "redirects": [],
        "referrer": f"http://{domain}/",
        "status": 200,
        "content_type": "text/html; charset=utf-8",
        "bytes": 25_000 + n,
        "truncated": False,
        "elapsed_ms": 52,
        "depth": 1 + n % 3,
        "title": f"Page {n} of {domain} | Services and prices",
        "meta_description": "A realistic description of the page, about a line of text long.",
        "h1": [f"Page {n}", "Our services"],
        "canonical": url,
        "lang": "en",
        "word_count": 1800,
        "links_internal": 32,
        "links_external": 6,
        "emails": [f"info@{domain}", f"sales@{domain}"],
        "phones": ["+442079460123"],
        "socials": [f"https://twitter.com/{domain.split('.')[0]}"],
        "error": None,
        "fetched_at": "2026-11-29T01:00:00.000Z",
    }


def main(sizes: list[int]) -> None:
    rows = []
    for size in sizes:
        output = subprocess.run(
            [sys.executable, __file__, "--one", str(size)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        rows.append(json.loads(output))
    base = rows[0]["us_per_record"]
    print("| pages | wall s | CPU s | µs per record | vs first | peak RSS MB | on disk MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['pages']:,} | {row['wall_s']:.2f} | {row['cpu_s']:.2f} | "
            f"{row['us_per_record']:.0f} | {row['us_per_record'] / base:.2f}x | "
            f"{row['peak_rss_mb']:.0f} | {row['disk_mb']:.0f} |"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(run_one(int(sys.argv[2]))))
    else:
        main([int(arg) for arg in sys.argv[1:]] or [10_000, 50_000, 100_000])

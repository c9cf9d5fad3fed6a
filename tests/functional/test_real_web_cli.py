"""The real web's settings as a user gives them: --ca-bundle, SSL_CERT_FILE, --insecure, headers."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from tests.helpers.cli import CLI, assert_one_line_error, run_cli
from tui_scraper.demo import DemoServer, DemoWeb


def reach(server: DemoServer) -> list[str]:
    return [arg for rule in server.connect_to for arg in ("--connect-to", rule)]


async def run_cli_env(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *CLI,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **env},
    )
    async with asyncio.timeout(120):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_ca_bundle_and_ssl_cert_file_verify_the_demo_web(
    demo_web: DemoWeb, tmp_path: Path
) -> None:
    host = demo_web.sites_of_kind("normal")[0].host
    async with DemoServer(demo_web) as server:
        common = ["crawl", host, "--max-pages", "2", "--json", *reach(server)]
        code, out, err = await run_cli(*common, "--db", str(tmp_path / "a.json"))
        assert code == 3, err  # the demo CA is in no system store: refused, not downgraded
        [record] = json.loads(out)["domain_results"]
        assert record["error"] == f"certificate error: certificate issuer is not trusted ({host})"
        assert server.stats.host(host).requests == 0

        db = str(tmp_path / "b.json")
        code, out, err = await run_cli(*common, "--db", db, "--ca-bundle", server.ca_path)
        assert code == 0, err
        assert json.loads(out)["domain_results"][0]["final_url"] == f"https://{host}/"

        env = {"SSL_CERT_FILE": server.ca_path}
        code, out, err = await run_cli_env(*common, "--db", str(tmp_path / "c.json"), env=env)
        assert code == 0, err
        assert set(server.stats.host(host).schemes) == {"https"}


async def test_insecure_is_recorded_in_the_batch(demo_web: DemoWeb, tmp_path: Path) -> None:
    db = str(tmp_path / "store.json")
    async with DemoServer(demo_web) as server:
        code, _out, err = await run_cli(
            "crawl", "expired-cert.test", "--insecure", "--max-pages", "2", "--db", db,
            *reach(server),
        )  # fmt: skip
    assert code == 0, err
    code, out, _err = await run_cli("batches", "--json", "--db", db)
    [batch] = json.loads(out)
    assert batch["settings"]["insecure"] is True
    assert batch["settings"]["ca_bundle"] is None


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--header", "X-Evil: a\r\nInjected: yes", "--header must not contain control characters"),
        ("--header", "X-Nul: a\x1bb", "--header must not contain control characters"),
        ("--header", "no colon here", "expected NAME: VALUE"),
        ("--user-agent", "bot\r\nX: y", "must not contain control characters"),
        ("--accept-language", "en\x07", "must not contain control characters"),
        ("--dns-timeout", "0", "must be at least"),
    ],
)
async def test_control_characters_and_bad_values_are_refused_when_parsed(
    flag: str, value: str, message: str, tmp_path: Path
) -> None:
    db = tmp_path / "store.json"
    code, _out, err = await run_cli("crawl", "example.test", "--db", str(db), flag, value)
    assert code == 2
    assert "Traceback" not in err
    assert message in err.strip().splitlines()[-1]
    assert not db.exists()  # refused before any batch


async def test_a_missing_or_bad_ca_bundle_is_refused(tmp_path: Path) -> None:
    code, _out, err = await run_cli(
        "crawl", "example.test", "--ca-bundle", str(tmp_path / "none.pem")
    )
    assert code == 2
    assert_one_line_error(err, "none.pem: no such file")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    code, _out, err = await run_cli("crawl", "example.test", "--ca-bundle", str(junk))
    assert code == 2
    assert_one_line_error(err, "junk.pem: not a PEM file of certificates")


async def test_demo_headless_crawls_over_https(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.json")
    code, out, err = await run_cli(
        "demo", "--headless", "--json", "--max-pages", "3", "--timeout", "2", "--db", db
    )
    assert code == 3, err  # the demo web has sites that fail by design
    results = {r["domain"]: r for r in json.loads(out)["domain_results"]}
    normal = [r for r in results.values() if r["status"] == "done" and r["http_fallback"] is None]
    assert len(normal) > 20
    assert all(r["final_url"].startswith("https://") for r in normal)
    assert results["filtered-https.test"]["final_url"] == "http://filtered-https.test/"
    assert results["silent-dns.test"]["error"] == "DNS timeout (silent-dns.test)"
    assert results["expired-cert.test"]["error"].startswith("certificate error:")
    assert results["metadata-redirect.test"]["error"] == (
        "refused: private address (169.254.169.254)"
    )
    code, out, _err = await run_cli("batches", "--json", "--db", db)
    [batch] = json.loads(out)
    # The demo's address, DNS server and CA reached the client, never the stored settings.
    assert batch["settings"]["connect_to"] == []
    assert batch["settings"]["ca_bundle"] is None

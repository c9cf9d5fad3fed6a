"""What the store refuses (spec "What the store refuses"), each as a careless user meets it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.cli import assert_one_line_error, crawl_args, free_port, run_cli, start_cli
from tests.helpers.store import batch_domains_of, page_record, write_batch
from tui_scraper.demo import DemoServer, DemoWeb
from tui_scraper.store import Store, StoreError


def data_folder(db: Path) -> Path:
    return db.with_name(db.name + ".batches")


async def crawl_closed_port(db: Path | str) -> tuple[int, str, str]:
    """A one-domain batch that fails at once (nothing listens): a quick real crawl."""
    return await run_cli("crawl", f"127.0.0.1:{free_port()}", "--db", str(db), "--retries", "0")


async def test_symlinked_db_is_one_store_and_the_link_stays(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "links").mkdir()
    target = tmp_path / "real" / "store.json"
    link = tmp_path / "links" / "store.json"
    link.symlink_to(target)
    for _ in range(2):
        code, _out, err = await crawl_closed_port(link)
        assert code == 3, err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert not data_folder(link).exists()  # the data lives beside the target only
    for db in (link, target):
        code, out, err = await run_cli("batches", "--json", "--db", str(db))
        assert code == 0, err
        assert len(json.loads(out)) == 2


@pytest.fixture
def special_files(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """A folder, a device node, a FIFO and a socket."""
    paths = {name: tmp_path / name for name in ("folder", "device", "fifo", "socket")}
    paths["folder"].mkdir()
    os.mkfifo(paths["fifo"])
    try:
        os.mknod(paths["device"], stat.S_IFCHR | 0o666, os.makedev(1, 3))  # like /dev/null
    except PermissionError:
        del paths["device"]
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(paths["socket"]))
    yield paths
    unix.close()


EXPECTED_KIND = {"folder": "a folder", "device": "a device", "fifo": "a FIFO", "socket": "a socket"}


@pytest.mark.parametrize("kind", EXPECTED_KIND)
async def test_folder_device_fifo_socket_are_refused(
    special_files: dict[str, Path], kind: str
) -> None:
    if kind not in special_files:
        pytest.skip("cannot make a device node here")
    path = special_files[kind]
    before = os.lstat(path)
    for args in (["crawl", f"127.0.0.1:{free_port()}"], ["batches"]):
        async with asyncio.timeout(60):  # a FIFO read would block for ever
            code, _out, err = await run_cli(*args, "--db", str(path))
        assert code == 2, err
        assert_one_line_error(err, f"is {EXPECTED_KIND[kind]}, not a tui-scraper store")
    after = os.lstat(path)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert not data_folder(path).exists()


@pytest.mark.parametrize("content", [b"null", b"  \n", b"0", b'"store"'])
async def test_json_that_is_not_a_store_is_refused_and_untouched(
    tmp_path: Path, content: bytes
) -> None:
    db = tmp_path / "store.json"
    db.write_bytes(content)
    code, _out, err = await crawl_closed_port(db)
    assert code == 2, err
    assert "Traceback" not in err and "tui-scraper: error:" in err
    assert db.read_bytes() == content
    assert not data_folder(db).exists()


async def test_zero_byte_file_becomes_a_store(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    db.write_bytes(b"")
    code, _out, err = await crawl_closed_port(db)
    assert code == 3, err
    with Store.open(str(db)) as store:
        assert len(store.all_batches()) == 1


@pytest.fixture
def read_only_store() -> Iterator[Path]:
    """An existing store whose folders cannot be written by the user running the CLI."""
    top = Path(tempfile.mkdtemp(prefix="tui-scraper-ro-"))
    top.chmod(0o755)
    db = top / "store.json"
    Store.open(str(db), write=True).close()
    db.chmod(0o644)
    for folder in (data_folder(db), top):
        folder.chmod(0o555)
    yield db
    for folder in (top, data_folder(db)):
        folder.chmod(0o755)
    for path in sorted(top.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    top.rmdir()


async def test_read_only_store_is_refused_before_the_batch_starts(read_only_store: Path) -> None:
    requests: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests.append(await reader.read(100))
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    before = read_only_store.read_bytes()
    # As root, permissions do not stop writes: run the command as nobody then.
    as_user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    command = [*(as_user if os.geteuid() == 0 else []), sys.executable, "-m", "tui_scraper"]
    async with server:
        process = await asyncio.create_subprocess_exec(
            *command,
            "crawl",
            f"http://127.0.0.1:{port}/",
            "--db",
            str(read_only_store),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(60):
            _out, err_bytes = await process.communicate()
    err = err_bytes.decode()
    assert process.returncode == 2, err
    assert_one_line_error(err, "cannot write the store")
    assert requests == []  # refused before any crawling
    assert read_only_store.read_bytes() == before


def finished_batch(db: Path, pages: int = 3) -> str:
    return write_batch(db, [page_record("x", "job-1", n) for n in range(pages)])


def chunk(db: Path, batch_id: str, table: str) -> Path:
    return data_folder(db) / batch_id / f"{table}-00001.json"


async def test_export_never_writes_into_the_store(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    batch_id = finished_batch(db)
    link_to_main = tmp_path / "innocent.jsonl"
    link_to_main.symlink_to(db)
    targets = [
        db,
        chunk(db, batch_id, "pages"),
        chunk(db, batch_id, "domains"),
        data_folder(db) / batch_id / "new.jsonl",
        link_to_main,
    ]
    before = {path: path.read_bytes() for path in [db, *data_folder(db).rglob("*.json")]}
    for target in targets:
        code, _out, err = await run_cli(
            "export", batch_id, "--format", "jsonl", "-o", str(target), "--db", str(db)
        )
        assert code == 2, err
        assert_one_line_error(err, "it is part of the store")
    assert {path: path.read_bytes() for path in before} == before
    assert not (data_folder(db) / batch_id / "new.jsonl").exists()


DAMAGE = {
    "empty": b"",
    "torn": b'{"pages": {"1": {"url": ',
    "null": b"null",
    "a list of pages": b'{"pages": []}',
    "a page that is a number": b'{"pages": {"1": 5}}',
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
async def test_damaged_page_chunk_is_named_and_export_leaves_its_file(
    tmp_path: Path, damage: bytes
) -> None:
    db = tmp_path / "store.json"
    batch_id = finished_batch(db)
    pages = chunk(db, batch_id, "pages")
    pages.write_bytes(damage)
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    code, _out, err = await run_cli(
        "export", batch_id, "--format", "jsonl", "-o", str(out), "--db", str(db)
    )
    assert code == 2, err
    assert_one_line_error(err, str(pages))
    assert out.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "out.jsonl",
        "store.json",
        "store.json.batches",
    ]
    code, _out, err = await run_cli("export", batch_id, "--format", "csv", "--db", str(db))
    assert code == 2, err
    assert_one_line_error(err, str(pages))


@pytest.mark.parametrize("damage", [*DAMAGE.values(), None], ids=[*DAMAGE, "missing"])
async def test_damaged_or_missing_domain_chunk_is_named(
    tmp_path: Path, damage: bytes | None
) -> None:
    db = tmp_path / "store.json"
    batch_id = finished_batch(db)
    domains = chunk(db, batch_id, "domains")
    if damage is None:
        domains.unlink()
    else:
        domains.write_bytes(damage.replace(b"pages", b"domains"))
    for command in (["show", batch_id], ["export", batch_id, "--domains", "--format", "csv"]):
        code, _out, err = await run_cli(*command, "--db", str(db))
        assert code == 2, err
        assert_one_line_error(err, str(domains))


async def test_missing_page_chunk_is_named(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    batch_id = finished_batch(db)
    chunk(db, batch_id, "pages").unlink()
    code, _out, err = await run_cli("export", batch_id, "--format", "jsonl", "--db", str(db))
    assert code == 2, err
    assert_one_line_error(err, str(chunk(db, batch_id, "pages")))


def done_on_disk(db: Path) -> int:
    """How many domains the store has as done, read as another process would."""
    try:
        with Store.open(str(db)) as store:
            return sum(
                record["status"] == "done"
                for batch in store.all_batches()
                for record in store.batch_domains(batch["batch_id"])
            )
    except StoreError:
        return 0


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["kill -9", "SIGTERM"])
async def test_counts_agree_with_show_and_export_after_a_stop(
    demo_web: DemoWeb, tmp_path: Path, signum: int
) -> None:
    db = tmp_path / "store.json"
    async with DemoServer(demo_web, latency=0.05) as server:
        args = crawl_args(server, db)
        process = await start_cli("crawl", *batch_domains_of(demo_web), *args)
        # Killed soon after the first domains finish: well before the counts' next rewrite.
        await server.wait_until(lambda _stats: done_on_disk(db) >= 2, 60)
        process.send_signal(signum)
        await process.wait()
    code, out, err = await run_cli("batches", "--json", "--db", str(db))
    assert code == 0, err
    (batch,) = json.loads(out)
    code, out, err = await run_cli("show", batch["batch_id"], "--json", "--db", str(db))
    assert code == 0, err
    domains = json.loads(out)
    code, out, err = await run_cli(
        "export", batch["batch_id"], "--format", "jsonl", "--db", str(db)
    )
    assert code == 0, err
    exported = out.splitlines()
    statuses = [d["status"] for d in domains]
    assert batch["status"] == "interrupted"
    assert 0 < statuses.count("done") < len(domains)
    assert batch["counts"] == {
        "domains": len(domains),
        "done": statuses.count("done"),
        "failed": statuses.count("failed"),
        "cancelled": statuses.count("cancelled"),
        "pages": len(exported),
    }

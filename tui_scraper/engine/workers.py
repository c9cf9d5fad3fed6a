"""Worker processes that run one function, each fed over its own socket by the event loop.

`concurrent.futures.ProcessPoolExecutor` hands every task through two threads of
this process (its manager and a queue feeder), a lock-guarded queue, and a
thread-safe wake-up of the loop: about 0.2 ms of this process's CPU a page, a
tenth of a crawl's. Here the loop writes each task to a worker's socket and
reads the answer when it arrives, like any other connection: no threads.

A frame is a 4-byte big-endian length and a pickle. A worker answers its tasks
in order, so each connection keeps a queue of the futures it owes.
"""

from __future__ import annotations

import asyncio
import collections
import multiprocessing
import os
import pickle
import socket
import struct
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

_HEADER = struct.Struct("!I")
JOIN_TIMEOUT_S = 5.0


class _WorkerLink(asyncio.Protocol):
    """This process's end of one worker's socket: frames out, answers in."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.owed: collections.deque[asyncio.Future[Any]] = collections.deque()
        self.lost = False
        self._buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, frame: bytes, future: asyncio.Future[Any]) -> None:
        if self.lost or self.transport is None or self.transport.is_closing():
            raise BrokenProcessPool("a parser worker has gone")
        self.owed.append(future)
        self.transport.write(frame)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        offset = 0
        while len(buffer) - offset >= _HEADER.size:
            (size,) = _HEADER.unpack_from(buffer, offset)
            end = offset + _HEADER.size + size
            if len(buffer) < end:
                break
            ok, value = pickle.loads(memoryview(buffer)[offset + _HEADER.size : end])
            offset = end
            future = self.owed.popleft()
            if future.done():
                continue  # its caller was cancelled meanwhile
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        if offset:
            del buffer[:offset]

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        while self.owed:
            future = self.owed.popleft()
            if not future.done():
                future.set_exception(BrokenProcessPool("a parser worker has gone"))


class WorkerPool:
    """`processes` workers running `function`; `await pool.run(*args)` is one call of it.

    Make it with `spawn` and `WorkerPool.connect`, in the event loop that will use it. A
    worker that dies fails its pending calls (and every later one) with
    BrokenProcessPool; the caller decides what to do instead.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        function: Callable[..., Any],
        processes: list[BaseProcess],
        links: list[_WorkerLink],
    ) -> None:
        self.loop = loop
        self.function = function
        self.processes = processes
        self._links = links

    @classmethod
    async def connect(
        cls, function: Callable[..., Any], spawned: list[tuple[BaseProcess, socket.socket]]
    ) -> WorkerPool:
        """The pool of workers `spawn` started, their sockets now read by this event loop."""
        loop = asyncio.get_running_loop()
        links: list[_WorkerLink] = []
        processes = [process for process, _sock in spawned]
        try:
            for _process, sock in spawned:
                _transport, link = await loop.create_unix_connection(_WorkerLink, sock=sock)
                links.append(link)
        except BaseException:
            for _process, sock in spawned[len(links) :]:
                sock.close()
            _stop(processes, links)
            raise
        return cls(loop, function, processes, links)

    @property
    def broken(self) -> bool:
        return any(link.lost for link in self._links)

    async def run(self, *args: Any) -> Any:
        """`function(*args)` in the least busy worker."""
        link = min(self._links, key=lambda candidate: len(candidate.owed))
        payload = pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL)
        future = self.loop.create_future()
        link.send(_HEADER.pack(len(payload)) + payload, future)
        return await future

    async def close(self) -> None:
        """Close the sockets (the workers exit at their end) and wait for the workers."""
        for link in self._links:
            if link.transport is not None:
                link.transport.close()
        await asyncio.to_thread(_stop, self.processes, [])


def spawn(
    function: Callable[..., Any], processes: int, context: multiprocessing.context.BaseContext
) -> list[tuple[BaseProcess, socket.socket]]:
    """Start `processes` workers of `function`, each with a socket to it (blocks briefly:
    each is forked by the context's server); `WorkerPool.connect` makes them a pool."""
    spawned: list[tuple[BaseProcess, socket.socket]] = []
    try:
        for _ in range(processes):
            ours, theirs = context.Pipe(duplex=True)
            process = context.Process(  # type: ignore[attr-defined]
                target=_serve, args=(theirs, function), daemon=True, name="page parser"
            )
            try:
                process.start()
            finally:
                theirs.close()
            sock = socket.socket(fileno=os.dup(ours.fileno()))
            ours.close()
            spawned.append((process, sock))
    except BaseException:
        for _process, sock in spawned:
            sock.close()
        _stop([process for process, _sock in spawned], [])
        raise
    return spawned


def _stop(processes: list[BaseProcess], links: list[_WorkerLink]) -> None:
    for link in links:
        if link.transport is not None:
            link.transport.close()
    for process in processes:
        process.join(JOIN_TIMEOUT_S)
        if process.is_alive():
            process.kill()
            process.join()


def _serve(connection: Connection, function: Callable[..., Any]) -> None:
    """A worker's loop: read a call, answer (True, result) or (False, exception); EOF ends it."""
    sock = socket.socket(fileno=os.dup(connection.fileno()))
    connection.close()
    reader = sock.makefile("rb")
    while True:
        header = reader.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return  # the crawler closed its end (or is gone)
        (size,) = _HEADER.unpack(header)
        args = pickle.loads(reader.read(size))
        try:
            answer = pickle.dumps((True, function(*args)), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:
            answer = _error_answer(error)
        sock.sendall(_HEADER.pack(len(answer)) + answer)


def _error_answer(error: Exception) -> bytes:
    """The exception itself if it pickles, else a RuntimeError with its type and text."""
    try:
        answer = pickle.dumps((False, error), protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(answer)  # some exceptions pickle but cannot be rebuilt
        return answer
    except Exception:
        stand_in = RuntimeError(f"{type(error).__name__}: {error}")
        return pickle.dumps((False, stand_in), protocol=pickle.HIGHEST_PROTOCOL)

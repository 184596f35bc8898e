"""A latency front for benchmarks: a loopback TCP relay that adds round-trip time and caps upload bandwidth.

Our users run the suite 20-150 ms away from staging; every figure measured on plain loopback hides what a round
trip costs. This relay sits between the suite and a reference server, on 127.0.0.1, and delays every chunk by half
the round trip in each direction (so a request and its answer cost one round trip more than on loopback, as over a
network), keeping each connection's bytes in order. ``upload_mbit`` paces the client-to-server direction like a
slow uplink. It needs no privileges (``tc netem`` needs a network namespace and root) and nothing leaves loopback.

    with LatencyFront(upstream_port, rtt_ms=50, upload_mbit=20).running() as front:
        ... http://127.0.0.1:{front.port}/v1 ...
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

CHUNK = 64 * 1024


@dataclass
class LatencyFront:
    """Relays 127.0.0.1:``port`` to 127.0.0.1:``upstream_port`` with ``rtt_ms`` of added round trip."""

    upstream_port: int
    rtt_ms: float = 0.0
    upload_mbit: float | None = None
    port: int = 0
    connections: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _ready: threading.Event = field(default_factory=threading.Event)

    @contextlib.contextmanager
    def running(self) -> Iterator[LatencyFront]:
        """Serve in a background thread while the ``with`` block runs."""
        thread = threading.Thread(target=self._serve, daemon=True)
        thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the latency front did not start")
        try:
            yield self
        finally:
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self._stop.set)
            thread.join(10)

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_writer.close()
            return
        one_way = self.rtt_ms / 2000.0
        rate = None if self.upload_mbit is None else self.upload_mbit * 1e6 / 8
        await asyncio.gather(_pump(client_reader, upstream_writer, one_way, rate),
                             _pump(upstream_reader, client_writer, one_way, None), return_exceptions=True)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float,
                bytes_per_s: float | None) -> None:
    """Copy ``reader`` to ``writer``, each chunk ``delay`` seconds late (in order), paced to ``bytes_per_s``. The
    queue holds what is "in flight" and no more (the bandwidth-delay product, a few chunks at least), so a sender
    faster than the link is held back as TCP holds it back: its writes block, instead of finishing at once and then
    waiting for an answer that the front is still trickling upstream."""
    in_flight = 4 + (0 if bytes_per_s is None else int(bytes_per_s * max(delay, 0.05) / CHUNK))
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(maxsize=in_flight)

    async def deliver() -> None:
        sent_until = time.monotonic()
        while True:
            due, chunk = await queue.get()
            if not chunk:
                break
            if bytes_per_s is not None:  # the uplink is busy until the previous chunk has gone
                sent_until = max(sent_until, time.monotonic()) + len(chunk) / bytes_per_s
                due = max(due, sent_until)
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(chunk)
            await writer.drain()
        with contextlib.suppress(OSError):
            writer.close()

    task = asyncio.create_task(deliver())
    try:
        while True:
            chunk = await reader.read(CHUNK)
            await queue.put((time.monotonic() + delay, chunk))
            if not chunk:
                break
    except (OSError, asyncio.IncompleteReadError):
        await queue.put((0.0, b""))
    await task

"""Running the emulator: in the current event loop, in a background thread, or until Ctrl-C.

- :class:`EmulatorServer` starts and stops the application in a running event loop
  (for async code such as a paper-trading engine that hosts its own emulator);
- :class:`BackgroundEmulator` runs it on its own event loop in a daemon thread, so
  synchronous code (tests, the sync ccxt client) can talk to it; a context manager;
- :func:`serve_forever` is what ``quantbot emulator`` runs.

The server binds the host and port given; port 0 lets the operating system choose a
free one, which :attr:`base_url` then reports (how tests avoid port clashes). Requests
still held by a fault when the server stops are cancelled after a short grace period.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from types import TracebackType

from aiohttp import web

from quantbot.logs import LogEvent, log_event
from quantbot.venues.emulator.app import create_app
from quantbot.venues.emulator.errors import EmulatorError
from quantbot.venues.emulator.state import EmulatorState

__all__ = ["BackgroundEmulator", "EmulatorServer", "serve_forever"]

_log = logging.getLogger(__name__)
_SHUTDOWN_GRACE_S = 0.25
"""How long stopping waits for requests in flight (a held 'timeout' fault never ends)."""
_START_TIMEOUT_S = 30.0


class EmulatorServer:
    """The emulator's HTTP server in the running event loop.

    Args:
        state: the emulator's state (source, clock, faults).
        host: interface to bind; 127.0.0.1 keeps it local.
        port: TCP port; 0 for a free one.
    """

    def __init__(self, state: EmulatorState, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server.

        Raises:
            EmulatorError: before :meth:`start`.
        """
        if self._base_url is None:
            raise EmulatorError("the emulator is not running")
        return self._base_url

    async def start(self) -> str:
        """Bind and serve; return the base URL.

        Raises:
            OSError: when the address cannot be bound (port in use, bad host).
        """
        runner = web.AppRunner(
            create_app(self.state),
            handle_signals=False,
            access_log=None,
            shutdown_timeout=_SHUTDOWN_GRACE_S,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self._base_url = f"http://{host}:{port}"
        log_event(
            _log,
            LogEvent.STARTUP,
            "exchange emulator listening on %s",
            self._base_url,
            source=self.state.source.description,
        )
        return self._base_url

    async def stop(self) -> None:
        """Stop serving and close every connection (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            log_event(_log, LogEvent.SHUTDOWN, "exchange emulator at %s stopped", self._base_url)


class BackgroundEmulator:
    """The emulator on its own event loop in a daemon thread (see the module docstring).

    Args:
        state: the emulator's state.
        host: interface to bind.
        port: TCP port; 0 for a free one.
    """

    def __init__(self, state: EmulatorState, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self._server = EmulatorServer(state, host=host, port=port)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        return self._server.base_url

    def start(self) -> str:
        """Start the thread and the server; return the base URL once it accepts requests.

        Raises:
            EmulatorError: when already started.
            OSError: when the address cannot be bound.
        """
        if self._thread is not None:
            raise EmulatorError("the emulator is already running")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="quantbot-emulator", daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._server.start(), loop).result(_START_TIMEOUT_S)
        except BaseException:
            _stop_loop(loop, thread)
            raise
        self._loop, self._thread = loop, thread
        return self._server.base_url

    def stop(self) -> None:
        """Stop the server, its loop and its thread (idempotent)."""
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(_START_TIMEOUT_S)
        finally:
            _stop_loop(loop, thread)

    async def _shutdown(self) -> None:
        await self._server.stop()
        # Handlers still sleeping in a fault belong to closed connections: end them so
        # the loop closes with nothing pending.
        current = asyncio.current_task()
        pending = [task for task in asyncio.all_tasks() if task is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def __enter__(self) -> BackgroundEmulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _stop_loop(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
    loop.call_soon_threadsafe(loop.stop)
    thread.join(_START_TIMEOUT_S)
    loop.close()


def serve_forever(
    state: EmulatorState,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    on_started: Callable[[str], None] | None = None,
) -> None:
    """Serve until interrupted (Ctrl-C raises ``KeyboardInterrupt`` out of this call).

    Args:
        state: the emulator's state.
        host: interface to bind.
        port: TCP port.
        on_started: called with the base URL once the server accepts requests.

    Raises:
        OSError: when the address cannot be bound.
    """

    async def main() -> None:
        server = EmulatorServer(state, host=host, port=port)
        url = await server.start()
        try:
            if on_started is not None:
                on_started(url)
            await asyncio.Event().wait()
        finally:
            await server.stop()

    asyncio.run(main())

"""``TCP_NODELAY`` on the server's listening socket, so a small response is not held back 40 ms.

``streamlit run`` binds its listening socket itself (``starlette_server._bind_socket``) and hands it to
uvicorn. The socket is made with ``socket.socket(family)``, protocol number 0, and the connections accepted
from it inherit that 0; asyncio sets ``TCP_NODELAY`` on a new connection only when its protocol number reads
``IPPROTO_TCP`` (``asyncio.base_events._set_nodelay``), so every connection keeps Nagle's algorithm. uvicorn
writes a response's headers and its body in two sends: the body then waits for the browser's delayed ACK,
about 40 ms on Linux, for every response that fits in a packet or two (the health check, index.html, every
small JavaScript chunk, a stylesheet, the websocket's small messages). A new visitor's browser asks for about
110 files over six connections: 0.4 s of a visit on this machine was that wait (``bench/bench_dashboard.py``
prints a small file's round trip). uvicorn's own pre-bound sockets have the same bug (uvicorn issue 3149).

:func:`set_on_listeners` (called by the ``st.App`` lifespan at server start, after the bind and before the
first visitor) finds the process's listening TCP sockets on the server's port and sets ``TCP_NODELAY`` on
them; the connections accepted from then on inherit it (Linux and macOS do). It reaches each socket through a
duplicate of its file descriptor, so the server's own socket object is never touched or closed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)
FD_DIR = Path("/proc/self/fd")  # Linux; elsewhere the descriptors below 1024 are tried


def _descriptors() -> Iterator[int]:
    try:
        yield from sorted(int(p.name) for p in FD_DIR.iterdir() if p.name.isdigit())
    except OSError:
        yield from range(3, 1024)


def _listener(fd: int) -> socket.socket | None:
    """A duplicate of ``fd`` when it is a listening TCP socket, else None (and no duplicate left open: a stray
    copy of a pipe's descriptor would keep that pipe from ever reaching its end)."""
    try:
        if not stat.S_ISSOCK(os.fstat(fd).st_mode):
            return None
        dup = os.dup(fd)
    except OSError:
        return None
    try:
        sock = socket.socket(fileno=dup)
    except OSError:
        os.close(dup)
        return None
    try:
        if (sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM
                and sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)):
            return sock
    except OSError:
        pass
    sock.close()
    return None


def set_on_listeners(port: int | None = None) -> int:
    """``TCP_NODELAY`` on this process's listening TCP sockets bound to ``port`` (default: the server's, as
    ``server.port`` reads once the server has bound it); how many were set."""
    if not hasattr(socket, "TCP_NODELAY"):
        return 0
    if port is None:
        from streamlit import config

        port = int(config.get_option("server.port"))
    done = 0
    for fd in _descriptors():
        sock = _listener(fd)
        if sock is None:
            continue
        with contextlib.closing(sock):
            if sock.getsockname()[1] == port:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                done += 1
    if not done:
        log.warning("no listening socket on port %s: small responses may wait for the client's delayed ACK", port)
    return done

"""The listening socket's ``TCP_NODELAY`` (dashboard.server_socket): set on the server's port, inherited by the
connections it accepts, other sockets left as they were."""

from __future__ import annotations

import os
import socket

from dashboard import server_socket


def _listening(proto: int = 0) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)  # proto 0: as Streamlit binds it
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


def _nodelay(s: socket.socket) -> int:
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_the_servers_port_gets_nodelay_and_the_connections_it_accepts_inherit_it() -> None:
    with _listening() as listener, _listening() as other:
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            before, _ = listener.accept()
        with before:
            assert _nodelay(before) == 0  # what asyncio leaves a proto-0 socket's connections with
        assert server_socket.set_on_listeners(port) == 1
        assert _nodelay(listener) == 1
        assert _nodelay(other) == 0  # another port: untouched
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.proto == 0 and _nodelay(accepted) == 1
            client.sendall(b"x")  # the listener still works: set through a duplicate, never closed
        assert listener.fileno() != -1


def test_a_port_nothing_listens_on_sets_nothing_and_says_so(caplog) -> None:
    with socket.socket() as s:  # bound, not listening: not a server's socket
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        assert server_socket.set_on_listeners(port) == 0
        assert _nodelay(s) == 0
    assert f"no listening socket on port {port}" in caplog.text


def test_no_descriptor_is_left_open_by_the_search() -> None:
    """A stray duplicate of a pipe's descriptor keeps the pipe open: a child reading it never sees its end."""
    r, w = os.pipe()
    try:
        with _listening() as listener:
            before = sorted(os.listdir("/proc/self/fd"))
            server_socket.set_on_listeners(listener.getsockname()[1])
            server_socket.set_on_listeners(1)  # nothing there: every descriptor looked at, none kept
            assert sorted(os.listdir("/proc/self/fd")) == before
    finally:
        os.close(r)
        os.close(w)

"""Is the address `tandem serve` is about to listen on free? Asked before saying it listens."""

from __future__ import annotations

import errno
import socket

from tandem.command_line import Refusal


def port_problem(host: str, port: int) -> str | None:
    """Why a server could not listen on ``host:port``, or None when it can."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"the host {host!r} is not known here ({exc.strerror})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As uvicorn binds: a port another program listens on is refused, one in TIME_WAIT not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return "it is already in use (another Tandem, or another program)"
            if exc.errno == errno.EACCES:
                return "it needs privileges this user does not have"
            return exc.strerror or str(exc)
    return None


def require_free_port(host: str, port: int) -> None:
    """Refuse, saying how to choose another, when the server could not listen there."""
    problem = port_problem(host, port)
    if problem is not None:
        raise Refusal(
            f"Cannot listen on {host}:{port}: {problem}.",
            f"Stop what is there, or choose another port: tandem serve --port {port + 1}, "
            f"or TANDEM_PORT={port + 1} (make demo too).",
        )

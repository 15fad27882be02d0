"""The DNS resolver at the process boundary, answering as a test says (rebinding included)."""

from __future__ import annotations

import socket
from collections.abc import Callable


class Resolver:
    """socket.getaddrinfo for the names a test gives; every other name resolves as usual.

    Each lookup of a name takes its next answer and the last one repeats, so a name can
    answer a public address first and 127.0.0.1 after (DNS rebinding).
    """

    def __init__(self, real: Callable) -> None:
        self.real = real
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []

    def answer(self, name: str, *answers: str | list[str]) -> None:
        self.answers[name.lower()] = [[a] if isinstance(a, str) else list(a) for a in answers]

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else str(host)
        queue = self.answers.get(name.lower())
        if queue is None:
            return self.real(host, port, family, type, proto, flags)
        self.lookups.append(name)
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        port = int(port or 0)
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

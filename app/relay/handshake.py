"""The relay's opening handshake: which endpoint a request names, and whether it may have it.

Everything is decided before the WebSocket exists, in websockets'
`process_request` hook, so a refused peer gets a bare HTTP status and never
a socket it could send frames on: 429 for an address with too many
connections, 404 for an unknown path, 403 for a browser page from an origin
not on the allowlist, 401 for refused credentials. None of these answers
says whether a robot id exists or is online.
"""

from __future__ import annotations

import http
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from app.relay.auth import ROBOT_ID, Auth, Role

log = logging.getLogger(__name__)

_PATH = re.compile(r"/(robot|client)/(" + ROBOT_ID.pattern + r")")
MAX_NAME = 32


@dataclass(frozen=True)
class Endpoint:
    """What a request path asks for: a role, a robot id, and the operator's wish of a name."""

    role: Role
    robot_id: str
    name: str | None = None


def parse_endpoint(path: str) -> Endpoint | None:
    """The endpoint of a request target such as `/client/rover?token=..&name=ann`, or None."""
    parts = urlsplit(path)
    match = _PATH.fullmatch(parts.path)
    if match is None:
        return None
    query = parse_qs(parts.query)
    names = query.get("name")
    return Endpoint(Role(match[1]), match[2], clean_name(names[0]) if names else None)


def clean_name(wanted: str) -> str | None:
    """An operator's display name without control characters, or None if nothing is left."""
    text = "".join(ch for ch in wanted if ch.isprintable()).strip()[:MAX_NAME]
    return text or None


def request_token(path: str, headers: Headers) -> str | None:
    """The token from `?token=` (the firmware's way) or else `Authorization: Bearer`."""
    tokens = parse_qs(urlsplit(path).query).get("token")
    if tokens:
        return tokens[0]
    scheme, _, value = headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def normalize_origin(origin: str) -> str:
    """An Origin as browsers send it: scheme://host[:port], lowercase, no trailing slash."""
    return origin.strip().rstrip("/").lower()


class Gatekeeper:
    """The `process_request` hook: 429, 404, 403 or 401, or None to let the peer in.

    `origins`: if given, a request with an `Origin` header (a browser page)
    must come from one of them; programs (the app, robots) send no Origin.
    `crowded`: tells whether the request's address already has too many
    connections.
    """

    def __init__(
        self,
        auth: Auth,
        origins: frozenset[str] | None = None,
        crowded: Callable[[ServerConnection], bool] = lambda _: False,
    ) -> None:
        self._auth = auth
        self._origins = origins
        self._crowded = crowded

    def __call__(self, connection: ServerConnection, request: Request) -> Response | None:
        peer = peer_address(connection)
        if self._crowded(connection):
            log.warning("refused %s: too many connections from this address (429)", peer)
            return connection.respond(http.HTTPStatus.TOO_MANY_REQUESTS, "Too many connections\n")
        endpoint = parse_endpoint(request.path)
        if endpoint is None:
            log.info("refused %s: no such endpoint (404)", peer)
            return connection.respond(http.HTTPStatus.NOT_FOUND, "Not found\n")
        origin = request.headers.get("Origin")
        if origin is not None and not self._origin_allowed(origin):
            log.warning("refused %s: origin %r is not allowed (403)", peer, origin[:100])
            return connection.respond(http.HTTPStatus.FORBIDDEN, "Origin not allowed\n")
        token = request_token(request.path, request.headers)
        reason = self._auth.refusal(endpoint.role, endpoint.robot_id, token)
        if reason is None:
            return None
        log.warning(
            "refused %s as %s of %r: %s (401)",
            peer, endpoint.role.name.lower(), endpoint.robot_id, reason,
        )
        response = connection.respond(http.HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
        response.headers["WWW-Authenticate"] = 'Bearer realm="robodeck-relay"'
        return response


    def _origin_allowed(self, origin: str) -> bool:
        return self._origins is None or normalize_origin(origin) in self._origins


def peer_address(connection: ServerConnection) -> str:
    """host:port of the remote end, for log lines."""
    address = connection.remote_address
    return f"{address[0]}:{address[1]}" if address else "?"

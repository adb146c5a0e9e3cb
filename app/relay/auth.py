"""Who may connect to the relay: per-robot tokens from a TOML file, or open mode.

Each robot id has two tokens. The robot token only opens `/robot/<id>` and
the operator token only opens `/client/<id>`, so a token copied out of a
robot's flash can make a fake robot appear but can never drive the real one.
Tokens are compared with `hmac.compare_digest` (no timing hint about how much
of a guess was right) and never appear in a log line or an error message.

Config file (read with tomllib)::

    [robots.rover]
    robot_token = "long-random-string"
    operator_token = "another-long-random-string"
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
import socket
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from app.errors import ConfigError

log = logging.getLogger(__name__)

#: Robot ids are path segments and log labels: keep them plain.
ROBOT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
#: Shorter tokens are accepted but warned about: they can be guessed.
MIN_TOKEN_LENGTH = 16
_DUMMY = "x" * 32


class Role(StrEnum):
    """The two kinds of peer, named after their URL path prefix."""

    ROBOT = "robot"
    OPERATOR = "client"


@dataclass(frozen=True)
class Tokens:
    """The two secrets of one robot id."""

    robot: str = field(repr=False)
    operator: str = field(repr=False)

    def of(self, role: Role) -> str:
        return self.robot if role is Role.ROBOT else self.operator


def _same(given: str, expected: str) -> bool:
    # Bytes, because compare_digest refuses non-ASCII str (a token in a URL may be anything).
    return hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class Auth:
    """The relay's access rules: a token table, or `open` (anyone, loopback only)."""

    robots: dict[str, Tokens] = field(default_factory=dict)
    open: bool = False

    @classmethod
    def open_access(cls) -> Auth:
        """No tokens, any robot id; the relay then binds to loopback only."""
        return cls(open=True)

    def refusal(self, role: Role, robot_id: str, token: str | None) -> str | None:
        """Why this peer may not connect (for the log), or None if it may.

        The reason never contains the token itself.
        """
        if self.open:
            return None
        tokens = self.robots.get(robot_id)
        if tokens is None:
            _same(token or "", _DUMMY)  # the same work as for a known id: no timing hint
            return "unknown robot id"
        if not token:
            return "missing token"
        if _same(token, tokens.of(role)):
            return None
        other = Role.OPERATOR if role is Role.ROBOT else Role.ROBOT
        if _same(token, tokens.of(other)):
            return f"the {other.name.lower()} token was used on the {role.name.lower()} endpoint"
        return "wrong token"


def load_auth(path: Path) -> Auth:
    """Read the token table from a TOML file, or raise ConfigError saying what is wrong."""
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {path} is not valid TOML: {exc}") from None
    robots = data.get("robots")
    if not isinstance(robots, dict) or not robots:
        raise ConfigError(f"config {path} has no [robots.<id>] table")
    return Auth(robots={rid: _tokens(path, rid, entry) for rid, entry in robots.items()})


def _tokens(path: Path, robot_id: str, entry: Any) -> Tokens:
    where = f"config {path}, [robots.{robot_id}]"
    if not ROBOT_ID.fullmatch(robot_id):
        raise ConfigError(f"{where}: robot ids are 1..64 letters, digits, '_', '.', '-'")
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a table with robot_token and operator_token")
    unknown = set(entry) - {"robot_token", "operator_token"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    values = []
    for key in ("robot_token", "operator_token"):
        value = entry.get(key)
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: {key} must be a non-empty string")
        if len(value) < MIN_TOKEN_LENGTH:
            log.warning("%s: %s is shorter than %d characters", where, key, MIN_TOKEN_LENGTH)
        values.append(value)
    if values[0] == values[1]:
        raise ConfigError(f"{where}: robot_token and operator_token must differ")
    return Tokens(robot=values[0], operator=values[1])


def is_loopback(host: str) -> bool:
    """True if every address `host` names is a loopback address."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def check_bind(auth: Auth, host: str) -> None:
    """Refuse to expose an open relay beyond this machine."""
    if auth.open and not is_loopback(host):
        raise ConfigError(
            f"--open accepts anyone without a token, so it only binds to loopback "
            f"(127.0.0.1, ::1 or localhost), not {host!r}; use --config with tokens instead"
        )

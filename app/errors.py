"""The exception tree of the RoboDeck core.

    RoboDeckError
    ├── ProtocolError            a frame that is not a valid v1 message
    │   ├── MalformedJSON        not JSON, or not a JSON object
    │   ├── OversizedMessage     longer than protocol.MAX_MESSAGE_BYTES
    │   ├── UnknownType          `t` missing or not a known message type
    │   └── InvalidField         a field missing, of the wrong type, or out of range
    └── ConfigError              a configuration file or option that cannot be used

Every ProtocolError carries a short machine-readable ``code`` that goes into
the ``err`` message sent back to the peer, so the peer learns what was wrong.
"""

from __future__ import annotations


class RoboDeckError(Exception):
    """Base class of every error the core raises on purpose."""


class ProtocolError(RoboDeckError):
    """Raised when a received frame is not a valid protocol v1 message."""

    code = "protocol"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class MalformedJSON(ProtocolError):
    """Raised when a frame is not UTF-8 JSON or not a JSON object."""

    code = "bad_json"


class OversizedMessage(ProtocolError):
    """Raised when a frame is longer than the protocol allows."""

    code = "too_big"

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"message of {size} bytes exceeds the limit of {limit}")
        self.size = size
        self.limit = limit


class UnknownType(ProtocolError):
    """Raised when the `t` key is missing or names no known message type."""

    code = "bad_type"


class InvalidField(ProtocolError):
    """Raised when a field is missing, has the wrong type or is out of range."""

    code = "bad_field"

    def __init__(self, msg_type: str, field: str, problem: str) -> None:
        super().__init__(f"{msg_type}.{field}: {problem}")
        self.msg_type = msg_type
        self.field = field
        self.problem = problem


class ConfigError(RoboDeckError):
    """Raised when a configuration file or command-line option cannot be used."""

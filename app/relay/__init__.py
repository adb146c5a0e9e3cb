"""robodeck-relay: routes frames between robots and operators by robot id.

Robots connect to `/robot/<id>`, operators (app windows) to `/client/<id>`;
both are WebSocket clients, so a robot behind NAT needs no known address.
docs/relay.md says how to run it; `serve_relay` runs one inside a program.
"""

from app.relay.auth import Auth, Role, Tokens, load_auth
from app.relay.limits import Limits
from app.relay.peers import PeerStats
from app.relay.room import RobotStats
from app.relay.server import Relay, serve_relay

__all__ = [
    "Auth", "Limits", "PeerStats", "Relay", "RobotStats", "Role", "Tokens",
    "load_auth", "serve_relay",
]

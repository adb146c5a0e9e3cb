"""Several relay processes behaving as one relay, sharing state through Redis.

Imported only when the relay runs with `--redis` (redis-py is then needed);
docs/deploy.md says how to run such a cluster.
"""

from app.relay.cluster.node import ClusterConfig, ClusterDown, ClusterNode
from app.relay.cluster.room import ClusterRoom

__all__ = ["ClusterConfig", "ClusterDown", "ClusterNode", "ClusterRoom"]

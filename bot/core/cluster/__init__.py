"""Several processes of one bot: who is alive, and who alone may do what only one may.

:class:`Liveness` is the one primitive under both: a renewal on a period with a deadline,
which says whether this process may still trust what it holds. The polling lease
(:class:`LeaseKeeper`, one holder at a time) and each process's instance heartbeat
(:class:`Instance`) stand on it. This ``__init__`` is the package's public face.
"""

from bot.core.cluster.instances import Instance, InstanceRow
from bot.core.cluster.lease import Holder, LeaseKeeper
from bot.core.cluster.liveness import Liveness

__all__ = [
    "Holder",
    "Instance",
    "InstanceRow",
    "LeaseKeeper",
    "Liveness",
]

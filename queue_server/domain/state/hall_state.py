"""HallState: one business day's state with every use case, put together from its parts."""

from queue_server.domain.state.calling import Calling
from queue_server.domain.state.clear import DayClear
from queue_server.domain.state.issuing import Issuing
from queue_server.domain.state.moving import Moving
from queue_server.domain.state.window_setup import WindowSetup


class HallState(Issuing, Calling, Moving, WindowSetup, DayClear):
    """Each part is a mixin over StateCore so a use case reads as one method, as before."""

"""The welder dialect: fusion groups, node tiles and edge memory levels."""

from ._welder_ops_gen import *  # noqa: F401,F403
from ._welder_enum_gen import *  # noqa: F401,F403

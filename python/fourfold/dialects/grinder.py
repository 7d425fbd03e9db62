"""The grinder dialect: uPrograms, uTasks and control-flow placement."""

from ._grinder_ops_gen import *  # noqa: F401,F403
from ._grinder_enum_gen import *  # noqa: F401,F403

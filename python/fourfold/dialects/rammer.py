"""The rammer dialect: rPrograms, rOperators and their schedules."""

from ._rammer_ops_gen import *  # noqa: F401,F403
from ._rammer_enum_gen import *  # noqa: F401,F403

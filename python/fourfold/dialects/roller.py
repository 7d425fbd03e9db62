"""The roller dialect: target descriptions and rTiles (attributes only)."""

from ._roller_ops_gen import *  # noqa: F401,F403
from ._roller_enum_gen import *  # noqa: F401,F403

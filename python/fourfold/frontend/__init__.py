"""Frontends: models in, linalg on tensors out (see fourfold.frontend.torch)."""

from .torch import ImportedProgram, UnsupportedOpError, import_torch  # noqa: F401

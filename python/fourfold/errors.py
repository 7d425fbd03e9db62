"""Errors fourfold raises: each carries the diagnostics MLIR produced, with locations."""

from __future__ import annotations


class FourfoldError(Exception):
    """Base class of fourfold's own errors."""


class CompileError(FourfoldError):
    """Parsing, verification or a pipeline stage failed.

    `stage` names the pipeline stage that failed (None for parsing), and
    `diagnostics` lists "location: message" strings as MLIR reported them.
    """

    def __init__(self, message: str, *, stage: str | None = None, diagnostics: list[str] | None = None):
        self.stage = stage
        self.diagnostics = list(diagnostics or [])
        text = message
        if self.diagnostics:
            text += "\n" + "\n".join(f"  {d}" for d in self.diagnostics)
        super().__init__(text)


def format_mlir_error(error) -> list[str]:
    """Flatten an MLIRError's diagnostics (and their notes) to 'location: message' lines."""
    lines: list[str] = []

    def visit(diag, depth):
        lines.append(f"{'  ' * depth}{diag.location}: {diag.message}")
        for note in diag.notes:
            visit(note, depth + 1)

    for diag in getattr(error, "error_diagnostics", []) or []:
        visit(diag, 0)
    if not lines:
        lines.append(str(error))
    return lines

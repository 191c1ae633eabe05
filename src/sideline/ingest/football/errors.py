"""The one error every football reader raises for bad input, and helpers that phrase it.

Messages name files by their base name only: uploads live under server paths that users must
never see.
"""

from __future__ import annotations

import os
from pathlib import Path

from sideline.errors import InvalidInput


class IngestError(InvalidInput):
    """A file could not be read as the provider's format, or the files do not belong together."""

    code = "ingest_error"


def display_name(path: str | os.PathLike) -> str:
    return Path(os.fspath(path)).name


def file_error(path: str | os.PathLike, problem: str) -> IngestError:
    return IngestError(f"{display_name(path)}: {problem}")


def check_readable(path: str | os.PathLike) -> Path:
    """The file exists, is a file and is not empty (the commonest failed upload)."""
    file = Path(os.fspath(path))
    if not file.is_file():
        raise file_error(file, "no such file")
    if file.stat().st_size == 0:
        raise file_error(file, "the file is empty")
    return file


def scrub_paths(message: str, paths: list[Path]) -> str:
    """Replace any full path of ours that a library put into its message by its base name."""
    for path in paths:
        for spelling in {str(path), str(path.resolve())}:
            message = message.replace(spelling, path.name)
    return message

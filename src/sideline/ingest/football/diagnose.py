"""When a reader fails, find the file to blame and say what is wrong with it.

Only run after a failure, so the happy path never parses a file twice. Each file is checked
against what its name or content says it is (JSON, JSON lines, XML, CSV); the first that does
not parse is named with the parser's own position. If every file parses, the reader's message
is passed on with the files named.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import orjson

from .errors import IngestError, scrub_paths
from .providers import ProviderSpec


def _first_byte(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")[:1]


def syntax_problem(path: Path) -> str | None:
    """What is syntactically wrong with the file, or None when it parses."""
    suffix, first = path.suffix.lower(), _first_byte(path)
    if not first:
        return "the file is empty"
    data = path.read_bytes()
    if suffix == ".jsonl" or (suffix == ".json" and first == b"{" and b"\n{" in data.strip()[:10_000_000]
                              and _is_json_lines(data)):
        for number, line in enumerate(data.splitlines(), 1):
            if line.strip():
                try:
                    orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    return f"line {number} is not valid JSON (truncated or corrupt?): {exc}"
        return None
    if suffix == ".json" or first in (b"{", b"["):
        try:
            orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            return f"not valid JSON (truncated or corrupt?): {exc}"
        return None
    if suffix == ".xml" or first == b"<":
        try:
            ElementTree.fromstring(data)
        except ElementTree.ParseError as exc:
            return f"not valid XML (truncated or corrupt?): {exc}"
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not a text file (byte {exc.start} is not UTF-8)"
    return None


def _is_json_lines(data: bytes) -> bool:
    first_line = data.split(b"\n", 1)[0]
    try:
        orjson.loads(first_line)
    except orjson.JSONDecodeError:
        return False
    return True


def diagnose_failure(spec: ProviderSpec, files: dict, exc: Exception) -> IngestError:
    paths = [p for v in files.values() for p in (v if isinstance(v, list) else [v])]
    for role, value in files.items():
        for path in value if isinstance(value, list) else [value]:
            problem = syntax_problem(path)
            if problem:
                return IngestError(f"{path.name} ({role}): {problem}")
    detail = scrub_paths(str(exc) or type(exc).__name__, paths)
    if len(detail) > 300:
        detail = detail[:300] + "..."
    names = ", ".join(p.name for p in paths)
    return IngestError(f"{names}: could not be read as {spec.name} data "
                       f"(are the files of the right provider and of the same match?): {type(exc).__name__}: {detail}")

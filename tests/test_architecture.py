"""The layering rules of docs/architecture.md, checked on the source itself."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "sideline"

# package -> packages it must never import
FORBIDDEN = {
    "core": ("sideline.api", "sideline.storage", "sideline.jobs", "sideline.live", "sideline.services"),
    "analytics": ("sideline.api", "sideline.storage", "sideline.jobs", "sideline.live", "sideline.services"),
    "ingest": ("sideline.api", "sideline.jobs", "sideline.live", "sideline.services"),
    "storage": ("sideline.api",),
    "jobs": ("sideline.api",),
    "live": ("sideline.api",),
    "auth": ("sideline.api",),
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_layers_only_import_downwards():
    violations = []
    for package, forbidden in FORBIDDEN.items():
        for path in (SRC / package).rglob("*.py"):
            for name in _imports(path):
                if name.startswith(forbidden):
                    violations.append(f"{path.relative_to(SRC)} imports {name}")
    assert not violations, "layering violations:\n" + "\n".join(violations)


def test_the_rule_is_checked_on_real_files():
    # Guard against a silently empty walk (e.g. a moved source tree).
    assert len(list((SRC / "storage").rglob("*.py"))) > 5 and len(list((SRC / "jobs").rglob("*.py"))) > 3

"""The SkillCorner match shipped inside kloppy's wheel (Bayern v Dortmund, 2019): demo data
that every install already has, so the product demo needs no download."""

from __future__ import annotations

from pathlib import Path

from .errors import IngestError

DEMO_FILES = {"meta_data": "skillcorner_match_data.json", "raw_data": "skillcorner_structured_data.json"}


def demo_skillcorner_files() -> dict[str, Path]:
    """``{"meta_data": ..., "raw_data": ...}`` for ``load_match("skillcorner", ...)``."""
    try:
        import kloppy
    except ImportError:
        raise IngestError("the SkillCorner demo match needs kloppy, which is not installed") from None
    folder = Path(kloppy.__file__).resolve().parent / "tests" / "files"
    files = {role: folder / name for role, name in DEMO_FILES.items()}
    missing = [name for name in DEMO_FILES.values() if not (folder / name).is_file()]
    if missing:
        raise IngestError(f"the installed kloppy {getattr(kloppy, '__version__', '')} wheel does not ship the "
                          f"SkillCorner demo match ({', '.join(missing)} missing from kloppy/tests/files)")
    return files

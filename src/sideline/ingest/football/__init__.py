"""Football readers: any supported provider's files -> the canonical ``sideline.core.football`` types.

``load_match(provider, files)`` is the one entry point; ``PROVIDERS`` says which files
(roles, kloppy's own parameter names) each provider needs. kloppy is the generic reader and
the reference; SkillCorner's full-match layout and GNSS CSVs have native readers.
"""

from .demo import demo_skillcorner_files
from .errors import IngestError
from .loading import IMPORT_OPTIONS, drop_anonymous_players, load_match
from .providers import PROVIDERS, ProviderSpec

__all__ = ["IMPORT_OPTIONS", "PROVIDERS", "drop_anonymous_players", "IngestError", "ProviderSpec", "demo_skillcorner_files", "load_match"]

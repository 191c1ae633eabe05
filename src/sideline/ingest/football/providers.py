"""What each football provider needs: file roles (kloppy's own parameter names) and their meaning.

``PROVIDERS`` is what the API and the web app show when a user uploads files; ``load_match``
checks a request against it before reading a byte.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType


@dataclasses.dataclass(frozen=True, slots=True)
class ProviderSpec:
    name: str
    kind: str  # "tracking" or "events"
    description: str
    required: MappingProxyType  # role -> one-line description
    optional: MappingProxyType = dataclasses.field(default_factory=lambda: MappingProxyType({}))
    multi: frozenset[str] = frozenset()  # roles that take several files (a list)

    @property
    def roles(self) -> tuple[str, ...]:
        return (*self.required, *self.optional)


def _spec(name, kind, description, required, optional=None, multi=()) -> ProviderSpec:
    return ProviderSpec(name, kind, description, MappingProxyType(required), MappingProxyType(optional or {}),
                        frozenset(multi))


_SPECS = [
    _spec("skillcorner", "tracking", "SkillCorner broadcast tracking (10 Hz); v2 full-match JSON read natively, "
          "other layouts (v3 JSONL) through kloppy",
          {"meta_data": "match data JSON (teams, players, pitch size)",
           "raw_data": "tracking JSON array (structured_data) or v3 JSONL"}),
    _spec("tracab", "tracking", "ChyronHego TRACAB optical tracking (25 Hz)",
          {"meta_data": "metadata XML or JSON", "raw_data": "tracking .dat or JSON"}),
    _spec("metrica_csv", "tracking", "Metrica Sports tracking, one CSV per team",
          {"home_data": "home team tracking CSV", "away_data": "away team tracking CSV"}),
    _spec("metrica_epts", "tracking", "Metrica Sports tracking in the FIFA EPTS format",
          {"meta_data": "EPTS metadata XML", "raw_data": "EPTS tracking text file"}),
    _spec("sportec", "tracking", "Sportec Solutions / DFL positional data",
          {"meta_data": "match information XML", "raw_data": "positional data XML"}),
    _spec("statsperform", "tracking", "Stats Perform (SportVU) tracking",
          {"ma1_data": "MA1 match details and line-ups, JSON or XML", "ma25_data": "MA25 tracking text file (OPT)"}),
    _spec("pff", "tracking", "PFF FC broadcast tracking (with game events on each frame)",
          {"meta_data": "match metadata JSON", "roster_meta_data": "rosters JSON", "raw_data": "tracking JSONL"}),
    _spec("signality", "tracking", "Signality tracking, one raw feed per period",
          {"meta_data": "match metadata JSON", "venue_information": "venue JSON (pitch size)",
           "raw_data_feeds": "raw tracking JSON files, one per period (a list)"}, multi={"raw_data_feeds"}),
    _spec("secondspectrum", "tracking", "Second Spectrum optical tracking",
          {"meta_data": "metadata XML or JSON", "raw_data": "tracking JSONL"},
          {"additional_meta_data": "additional metadata JSON (player names, ids)"}),
    _spec("hawkeye", "tracking", "Hawk-Eye ball and player-centroid feeds",
          {"ball_feeds": "ball feed files (a list)", "player_centroid_feeds": "player centroid feed files (a list)"},
          {"meta_data": "metadata JSON or XML (pitch size, teams)"}, multi={"ball_feeds", "player_centroid_feeds"}),
    _spec("gnss", "tracking", "GNSS/GPS wearables: the SoccerTrack CSV or the generic long CSV "
          "(time, player_id, team, lat, lon[, name, jersey_no]) -> pitch metres",
          {"data": "GNSS CSV file"}),
    _spec("statsbomb", "events", "StatsBomb events with optional 360 freeze frames",
          {"event_data": "events JSON", "lineup_data": "line-ups JSON"},
          {"three_sixty_data": "360 freeze frames JSON"}),
    _spec("metrica_events", "events", "Metrica Sports events (JSON) with their EPTS metadata",
          {"event_data": "events JSON", "meta_data": "EPTS metadata XML"}),
    _spec("wyscout", "events", "Wyscout events (v2 or v3 JSON)", {"event_data": "events JSON"}),
    _spec("opta", "events", "Opta events (F7 line-ups + F24 events)",
          {"f7_data": "F7 line-ups XML", "f24_data": "F24 (or F73) events XML"}),
    _spec("sportec_events", "events", "Sportec Solutions / DFL event data",
          {"event_data": "events XML", "meta_data": "match information XML"}),
    _spec("statsperform_events", "events", "Stats Perform events (MA1 line-ups + MA3 events)",
          {"ma1_data": "MA1 line-ups JSON or XML", "ma3_data": "MA3 events JSON or XML"}),
]

PROVIDERS: dict[str, ProviderSpec] = {spec.name: spec for spec in _SPECS}

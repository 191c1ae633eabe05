"""PFF's events ride inside its tracking frames: read them and place them on the frames."""

from __future__ import annotations

import orjson
import numpy as np

from sideline.ingest.football import load_match


def test_pff_events_land_on_their_frames_with_their_players(shared_data):
    folder = shared_data / "football" / "tracking" / "provider_samples"
    raw = folder / "pff_10517.jsonl"
    match = load_match("pff", {"raw_data": raw, "meta_data": folder / "pff_metadata_10517.json",
                               "roster_meta_data": folder / "pff_rosters_10517.json"})
    # Independent count: every frame of the file that starts a game event.
    frames = [orjson.loads(line) for line in raw.read_bytes().splitlines() if line.strip()]
    with_events = [f for f in frames if f.get("game_event")]
    table = match.events.table
    assert table.height == len(with_events) == 6
    tracking = match.tracking
    for row, frame in zip(table.iter_rows(named=True), with_events):
        i = int(np.flatnonzero(tracking.frame_id == frame["frameNum"])[0])
        assert row["timeline"] == tracking.timeline[i] and row["period"] == frame["period"]
        team = frame["game_event"]["team_name"]
        assert (match.meta.home.name if row["side"] == "home" else match.meta.away.name) == team
    kick_offs = table.filter(table["set_piece"] == "kick_off")
    assert kick_offs.height == 4 and set(kick_offs["period"].to_list()) == {1, 2, 3, 4}
    players = {p.player_id for p in match.meta.players}
    assert all(pid in players for pid in kick_offs["player_id"].to_list())

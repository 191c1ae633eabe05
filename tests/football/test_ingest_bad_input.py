"""Bad input: one IngestError naming the file (base name only) and the problem, never partial data."""

from __future__ import annotations

import shutil

import orjson
import pytest

from sideline.errors import InvalidInput
from sideline.ingest.football import IngestError, load_match


@pytest.fixture(scope="module")
def samples(shared_data):
    return shared_data / "football" / "tracking" / "provider_samples"


def _small_skillcorner(shared_data, tmp_path, frames=slice(10_000, 10_400)):
    folder = shared_data / "football" / "tracking" / "skillcorner_bayern_dortmund_2019"
    raw = orjson.loads((folder / "skillcorner_structured_data.json").read_bytes())[frames]
    raw_path = tmp_path / "structured.json"
    raw_path.write_bytes(orjson.dumps(raw))
    meta_path = tmp_path / "match.json"
    shutil.copy(folder / "skillcorner_match_data.json", meta_path)
    return meta_path, raw_path, raw


def _expect(message_part: str, file_name: str, provider: str, files: dict, **options):
    with pytest.raises(IngestError) as caught:
        load_match(provider, files, **options)
    message = caught.value.message
    assert isinstance(caught.value, InvalidInput)
    assert file_name in message and message_part in message, message
    assert "/" not in message.replace(" / ", ""), f"a path leaked: {message}"
    return message


def test_small_skillcorner_extract_reads(shared_data, tmp_path):
    meta_path, raw_path, raw = _small_skillcorner(shared_data, tmp_path)
    tracking = load_match("skillcorner", {"meta_data": meta_path, "raw_data": raw_path}).tracking
    assert tracking.n_frames == sum(1 for f in raw if f["data"] and f["period"])


def test_truncated_json(shared_data, tmp_path):
    meta_path, raw_path, _ = _small_skillcorner(shared_data, tmp_path)
    raw_path.write_bytes(raw_path.read_bytes()[:5000])
    _expect("not valid JSON", "structured.json", "skillcorner", {"meta_data": meta_path, "raw_data": raw_path})


def test_truncated_xml_through_kloppy(samples, tmp_path):
    meta = tmp_path / "sportec_meta.xml"
    meta.write_bytes((samples / "sportec_meta.xml").read_bytes()[:3000])
    _expect("not valid XML", "sportec_meta.xml", "sportec",
            {"meta_data": meta, "raw_data": samples / "sportec_positional.xml"})


def test_corrupt_csv(samples, tmp_path):
    home = tmp_path / "metrica_home.csv"
    home.write_bytes(b"\xff\xfe garbage \x00\x01" * 50)
    _expect("metrica_home.csv", "metrica_home.csv", "metrica_csv", {"home_data": home, "away_data": samples / "metrica_away.csv"})


def test_empty_file(samples, tmp_path):
    empty = tmp_path / "tracab_raw.dat"
    empty.write_bytes(b"")
    _expect("empty", "tracab_raw.dat", "tracab", {"meta_data": samples / "tracab_meta.xml", "raw_data": empty})


def test_metadata_of_another_match(shared_data, samples, tmp_path):
    _, raw_path, _ = _small_skillcorner(shared_data, tmp_path)
    # The v3 sample's match data (another match, other player ids) with this match's tracking.
    _expect("another match", "structured.json", "skillcorner",
            {"meta_data": samples / "skillcorner_meta_data.json", "raw_data": raw_path})


def test_frames_outside_the_metadata(samples, tmp_path):
    # EPTS metadata declares the periods by frame; shift every raw frame far beyond them.
    raw = tmp_path / "epts_tracking.txt"
    lines = (samples / "epts_metrica_tracking.txt").read_text().splitlines()
    raw.write_text("\n".join(f"{int(line.split(':', 1)[0]) + 10_000_000}:{line.split(':', 1)[1]}" for line in lines))
    _expect("epts_tracking.txt", "epts_tracking.txt", "metrica_epts",
            {"meta_data": samples / "epts_metrica_metadata.xml", "raw_data": raw})


def test_mixed_frame_rates(shared_data, tmp_path):
    meta_path, raw_path, raw = _small_skillcorner(shared_data, tmp_path)
    # The second half of the extract ticks at 25 Hz instead of 10 Hz.
    start = raw[200]["time"]
    minutes, seconds = start.split(":")
    for k, frame in enumerate(raw[200:]):
        total = int(minutes) * 60 + float(seconds) + k * 0.04
        frame["time"] = f"{int(total // 60)}:{total % 60:05.2f}"
    raw_path.write_bytes(orjson.dumps(raw))
    _expect("mixed frame rates", "structured.json", "skillcorner", {"meta_data": meta_path, "raw_data": raw_path})


def test_unknown_provider_and_roles(samples):
    _expect("unknown provider", "'catapult'", "catapult", {})
    _expect("missing file role(s) raw_data", "tracab", "tracab", {"meta_data": samples / "tracab_meta.xml"})
    _expect("unknown file role(s) extra", "tracab", "tracab",
            {"meta_data": samples / "tracab_meta.xml", "raw_data": samples / "tracab_raw.dat", "extra": samples / "tracab_raw.dat"})
    _expect("no such file", "nothere.xml", "tracab", {"meta_data": samples / "nothere.xml", "raw_data": samples / "tracab_raw.dat"})


def test_swapped_provider_files(samples):
    # Sportec files handed in as TRACAB: kloppy fails; the message names the files, no traceback.
    _expect("could not be read as tracab", "sportec_meta.xml", "tracab",
            {"meta_data": samples / "sportec_meta.xml", "raw_data": samples / "sportec_positional.xml"})


def test_gnss_bad_numbers(shared_data, tmp_path):
    source = shared_data / "football" / "gnss" / "G_20200220_1_0000_0030_gnss.csv"
    lines = source.read_text().splitlines()
    lines[10] = lines[10].replace("36.", "3x.", 1)
    bad = tmp_path / "gnss.csv"
    bad.write_text("\n".join(lines))
    _expect("is not a number", "gnss.csv", "gnss", {"data": bad})

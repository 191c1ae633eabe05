"""The f1db database (YAML source form) as Polars tables: races, results, grid, qualifying.

f1db keeps one folder per race (``seasons/<year>/races/<NN-slug>/``) holding ``race.yml`` and
one YAML list per session. Parsing all ~4,600 files takes tens of seconds even with LibYAML,
so the parsed tables are cached as Parquet per season, keyed by the snapshot's commit id
(``SNAPSHOT``), and memoised in the process.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
from pathlib import Path

import polars as pl
import yaml

from sideline.errors import InvalidInput

RACE_SCHEMA = {"race_id": pl.Int32, "year": pl.Int32, "round": pl.Int32, "date": pl.Date, "grand_prix": pl.Utf8,
               "circuit": pl.Utf8, "circuit_type": pl.Utf8, "laps": pl.Int32}
# position: null when not classified (DNF, DNS, DSQ, NC, ...); status keeps f1db's text then.
RESULT_SCHEMA = {"race_id": pl.Int32, "driver": pl.Utf8, "constructor": pl.Utf8, "number": pl.Int32,
                 "position": pl.Int32, "status": pl.Utf8, "grid": pl.Int32, "laps": pl.Int32,
                 "points": pl.Float64, "reason_retired": pl.Utf8}
# position 0 never occurs: a pit-lane start ("PL") is ranked behind the whole grid.
GRID_SCHEMA = {"race_id": pl.Int32, "driver": pl.Utf8, "constructor": pl.Utf8, "position": pl.Int32,
               "pit_lane": pl.Boolean}
QUALIFYING_SCHEMA = {"race_id": pl.Int32, "driver": pl.Utf8, "constructor": pl.Utf8, "position": pl.Int32,
                     "best_s": pl.Float64}


@dataclasses.dataclass(frozen=True)
class F1db:
    races: pl.DataFrame
    results: pl.DataFrame
    grid: pl.DataFrame
    qualifying: pl.DataFrame


def lap_time_seconds(text: object) -> float | None:
    """"1:41.498" / "41.498" / "+1:00.621" in seconds; None for anything else."""
    if text is None or text == "":
        return None
    total = 0.0
    try:
        for part in str(text).lstrip("+").split(":"):
            total = total * 60 + float(part)
    except ValueError:
        return None
    return total


def _position(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _load_yaml(path: Path) -> list | dict | None:
    if not path.is_file():
        return None
    try:
        return yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML ({exc.__class__.__name__})") from None


def _parse_race(folder: Path, tables: dict[str, list[dict]]) -> None:
    race = _load_yaml(folder / "race.yml")
    if not isinstance(race, dict) or "id" not in race:
        raise InvalidInput(f"{folder / 'race.yml'}: missing or without an id")
    race_id = int(race["id"])
    tables["races"].append({"race_id": race_id, "year": int(race["date"].year), "round": race.get("round"),
                            "date": race["date"], "grand_prix": race.get("grandPrixId"),
                            "circuit": race.get("circuitId"), "circuit_type": race.get("circuitType"),
                            "laps": race.get("laps")})
    for row in _load_yaml(folder / "race-results.yml") or []:
        position = _position(row.get("position"))
        tables["results"].append({
            "race_id": race_id, "driver": row["driverId"], "constructor": row.get("constructorId"),
            "number": _position(row.get("driverNumber")), "position": position,
            "status": "classified" if position is not None else str(row.get("position")),
            "grid": _position(row.get("gridPosition")), "laps": _position(row.get("laps")),
            "points": float(row.get("points") or 0), "reason_retired": row.get("reasonRetired")})
    grid_rows = _load_yaml(folder / "starting-grid-positions.yml") or []
    for rank, row in enumerate(grid_rows, start=1):
        position = _position(row.get("position"))
        tables["grid"].append({"race_id": race_id, "driver": row["driverId"], "constructor": row.get("constructorId"),
                               "position": position if position is not None else len(grid_rows) + rank,
                               "pit_lane": position is None})
    for row in _load_yaml(folder / "qualifying-results.yml") or []:
        times = [lap_time_seconds(row.get(k)) for k in ("time", "q1", "q2", "q3")]
        times = [t for t in times if t is not None and t > 0]
        tables["qualifying"].append({"race_id": race_id, "driver": row["driverId"],
                                     "constructor": row.get("constructorId"),
                                     "position": _position(row.get("position")),
                                     "best_s": min(times) if times else None})


def _race_folders(root: Path, seasons: tuple[int, int] | None) -> list[Path]:
    season_root = root / "seasons"
    if not season_root.is_dir():
        raise InvalidInput(f"{root}: not an f1db folder (no seasons/ inside)")
    folders = []
    for season in sorted(season_root.iterdir()):
        if not season.name.isdigit() or (seasons and not seasons[0] <= int(season.name) <= seasons[1]):
            continue
        # A race folder without results is a future race of the current season.
        folders += [f for f in sorted((season / "races").glob("*")) if (f / "race-results.yml").is_file()]
    return folders


def parse_f1db(root: Path, seasons: tuple[int, int] | None = None) -> F1db:
    """Parse the YAML (no cache). ``seasons``: first and last year, inclusive."""
    tables: dict[str, list[dict]] = {"races": [], "results": [], "grid": [], "qualifying": []}
    for folder in _race_folders(root, seasons):
        _parse_race(folder, tables)
    frames = {name: pl.DataFrame(rows, schema=schema, orient="row" if not rows else None)
              for (name, rows), schema in zip(tables.items(), (RACE_SCHEMA, RESULT_SCHEMA, GRID_SCHEMA,
                                                              QUALIFYING_SCHEMA), strict=True)}
    frames["races"] = frames["races"].sort("date", "race_id")
    return F1db(**frames)


def _cache_key(root: Path) -> str:
    snapshot = root / "SNAPSHOT"
    stamp = snapshot.read_text(encoding="utf-8").strip() if snapshot.is_file() else str(root.stat().st_mtime_ns)
    return hashlib.sha256(f"{root.resolve()}|{stamp}|v2".encode()).hexdigest()[:20]


def default_cache_dir() -> Path:
    return Path(os.environ.get("SIDELINE_CACHE", Path.home() / ".cache" / "sideline")) / "f1db"


NAMES = ("races", "results", "grid", "qualifying")


def _season(root: Path, year: int, folder: Path) -> F1db:
    """One season, from its cached Parquet files or parsed (and cached when the folder is writable)."""
    if all((folder / f"{n}.parquet").is_file() for n in NAMES):
        return F1db(*(pl.read_parquet(folder / f"{n}.parquet") for n in NAMES))
    db = parse_f1db(root, (year, year))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for n in NAMES:
            # Write then rename, so a concurrent reader never sees half a file.
            tmp = folder / f"{n}.parquet.tmp{os.getpid()}"
            getattr(db, n).write_parquet(tmp)
            tmp.replace(folder / f"{n}.parquet")
    except OSError:
        pass  # a read-only cache folder: the tables still work, only uncached
    return db


@functools.lru_cache(maxsize=4)
def load_f1db(root: Path, seasons: tuple[int, int] | None = None, cache_dir: Path | None = None) -> F1db:
    """The f1db tables of ``seasons`` (first and last year, inclusive; all when None), cached as
    Parquet per season and f1db snapshot, so any range parses each season at most once."""
    root = Path(root)
    if not (root / "seasons").is_dir():
        raise InvalidInput(f"{root}: not an f1db folder (no seasons/ inside)")
    years = sorted(int(p.name) for p in (root / "seasons").iterdir() if p.name.isdigit())
    years = [y for y in years if seasons is None or seasons[0] <= y <= seasons[1]]
    base = (cache_dir or default_cache_dir()) / _cache_key(root)
    parts = [_season(root, year, base / str(year)) for year in years]
    if not parts:
        return parse_f1db(root, seasons)
    tables = {n: pl.concat([getattr(p, n) for p in parts]) for n in NAMES}
    tables["races"] = tables["races"].sort("date", "race_id")
    return F1db(**tables)

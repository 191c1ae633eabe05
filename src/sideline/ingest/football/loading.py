"""``load_match``: provider name + files by role -> canonical ``Match``, or one ``IngestError``.

Every failure of a reader (kloppy's or ours) becomes an ``IngestError`` naming the file (base
name only) and the problem; nothing partial is ever returned.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from sideline.core.football import Match
from sideline.errors import SidelineError

from . import gnss, skillcorner
from .diagnose import diagnose_failure
from .errors import IngestError, check_readable, scrub_paths
from .kloppy_events import events_from_kloppy
from .kloppy_tracking import tracking_from_kloppy
from .pff_events import attach_pff_events
from .providers import PROVIDERS, ProviderSpec

Files = dict[str, Path | list[Path]]

# Options that pass straight through to kloppy's loader for every provider of a kind.
_RESERVED = {"coordinates"}  # we choose the coordinate system


def _kloppy_loader(provider: str) -> Callable:
    from kloppy import (
        hawkeye, metrica, opta, pff, secondspectrum, signality, skillcorner as kloppy_skillcorner, sportec,
        statsbomb, statsperform, tracab, wyscout,
    )

    return {
        "skillcorner": kloppy_skillcorner.load, "tracab": tracab.load, "metrica_csv": metrica.load_tracking_csv,
        "metrica_epts": metrica.load_tracking_epts, "sportec": sportec.load_tracking,
        "statsperform": statsperform.load_tracking, "pff": pff.load_tracking, "signality": signality.load,
        "secondspectrum": secondspectrum.load, "hawkeye": hawkeye.load, "statsbomb": statsbomb.load,
        "metrica_events": metrica.load_event, "wyscout": wyscout.load, "opta": opta.load,
        "sportec_events": sportec.load_event, "statsperform_events": statsperform.load_event,
    }[provider]


def _as_kloppy_argument(value: Path | list[Path]) -> str | list:
    # Lists stay Path objects: kloppy's Hawk-Eye reader reads the period from each file's name.
    return list(value) if isinstance(value, list) else str(value)


def _check_options(provider: str, loader: Callable, options: Mapping) -> None:
    accepted = set(inspect.signature(loader).parameters) - set(PROVIDERS[provider].roles) - _RESERVED
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise IngestError(f"{provider}: unknown option(s) {', '.join(unknown)}; accepted: {', '.join(sorted(accepted))}")


def load_with_kloppy(provider: str, files: Files, notes: list[str] | None = None, **options) -> Match:
    """The generic path: kloppy parses, we convert (tracking or events by the provider's kind)."""
    loader = _kloppy_loader(provider)
    _check_options(provider, loader, options)
    kwargs = {role: _as_kloppy_argument(value) for role, value in files.items()}
    notes = list(notes or ())
    if provider == "statsperform" and "pitch_length" not in options:
        # SportVU coordinates are relative to the pitch; MA1 does not carry its size.
        options = {**options, "pitch_length": 105.0, "pitch_width": options.get("pitch_width", 68.0)}
        notes.append("pitch size not given (options pitch_length, pitch_width); assumed 105 x 68 m")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = loader(**kwargs, **options)
    notes += [str(w.message) for w in caught
                                 if not issubclass(w.category, (ResourceWarning, DeprecationWarning))]
    if not dataset.records:
        raise IngestError(f"{_names(files)}: no {PROVIDERS[provider].kind} data found "
                          "(empty, or the metadata belongs to another match)")
    if PROVIDERS[provider].kind == "events":
        events = events_from_kloppy(dataset, provider, notes)
        return Match(meta=events.meta, events=events)
    tracking = tracking_from_kloppy(dataset, provider, notes)
    consistency_checks(tracking, files)
    return Match(meta=tracking.meta, tracking=tracking)


def consistency_checks(tracking, files: Files) -> None:
    """Reject tracking whose metadata cannot belong to its raw data, and mixed frame rates."""
    from .checks import check_frame_rate, check_players_seen

    check_players_seen(tracking, _names(files))
    check_frame_rate(tracking, _names(files))


def _names(files: Files) -> str:
    names = [p.name for v in files.values() for p in (v if isinstance(v, list) else [v])]
    return ", ".join(names)


def _resolve_files(spec: ProviderSpec, files: Mapping[str, str | os.PathLike | list]) -> Files:
    unknown = sorted(set(files) - set(spec.roles))
    if unknown:
        raise IngestError(f"{spec.name}: unknown file role(s) {', '.join(unknown)}; "
                          f"accepted: {', '.join(spec.roles)}")
    missing = [role for role in spec.required if role not in files]
    if missing:
        raise IngestError(f"{spec.name}: missing file role(s) {', '.join(missing)}; required: "
                          f"{', '.join(spec.required)}" + (f"; optional: {', '.join(spec.optional)}" if spec.optional else ""))
    resolved: Files = {}
    for role, value in files.items():
        if isinstance(value, (list, tuple)):
            if role not in spec.multi:
                raise IngestError(f"{spec.name}: role {role} takes one file, got {len(value)}")
            if not value:
                raise IngestError(f"{spec.name}: role {role} needs at least one file")
            resolved[role] = [check_readable(v) for v in value]
        else:
            path = check_readable(value)
            resolved[role] = [path] if role in spec.multi else path
    return resolved


def _read_skillcorner(files: Files, **options) -> Match:
    return skillcorner.load_skillcorner(files["meta_data"], files["raw_data"], **options)


def _read_gnss(files: Files, **options) -> Match:
    tracking = gnss.read_gnss(files["data"], **options)
    return Match(meta=tracking.meta, tracking=tracking)


def _read_pff(files: Files, **options) -> Match:
    # kloppy reads the positions; the events PFF carries inside the same frames are ours to read.
    match = load_with_kloppy("pff", files, **options)
    return attach_pff_events(match, Path(files["raw_data"]))


_NATIVE: dict[str, Callable[..., Match]] = {"skillcorner": _read_skillcorner, "gnss": _read_gnss, "pff": _read_pff}


# What the product imports with (the defaults above stay equal to kloppy's, the reference):
# a continuous timeline in which unseen frames are present and empty, and only identified
# players (broadcast trackers' anonymous tracks are not people one can report on).
IMPORT_OPTIONS: dict[str, dict] = {"skillcorner": {"include_empty_frames": True, "keep_anonymous": False}}


def drop_anonymous_players(match: Match) -> Match:
    """The match without tracks that have no player identity (``<side>_anon_<track>``)."""
    meta = match.meta
    keep = np.array(["_anon_" not in p.player_id for p in meta.players], dtype=bool)
    if keep.all():
        return match
    tracking = match.tracking
    dropped_obs = int(tracking.observed[:, ~keep].sum()) if tracking is not None else 0
    total_obs = int(tracking.observed.sum()) if tracking is not None else 0
    note = (f"{int((~keep).sum())} anonymous tracks (players the provider could not identify; "
            f"{dropped_obs / max(total_obs, 1):.0%} of player positions) were left out")
    new_meta = dataclasses.replace(meta, players=tuple(p for p, k in zip(meta.players, keep) if k),
                                   warnings=(*meta.warnings, note))
    new_tracking = None
    if tracking is not None:
        new_tracking = dataclasses.replace(tracking, meta=new_meta, xy=np.ascontiguousarray(tracking.xy[:, keep]))
    events = dataclasses.replace(match.events, meta=new_meta) if match.events is not None else None
    return Match(meta=new_meta, tracking=new_tracking, events=events)


def load_match(provider: str, files: Mapping[str, str | os.PathLike | list], **options) -> Match:
    """Read one match from a provider's files (roles as in ``PROVIDERS[provider]``).

    ``options`` go to the reader (e.g. ``limit``, ``sample_rate``, ``only_alive`` for kloppy
    providers; ``include_empty_frames`` for SkillCorner; pitch corners for GNSS).
    """
    spec = PROVIDERS.get(provider)
    if spec is None:
        raise IngestError(f"unknown provider {provider!r}; accepted: {', '.join(PROVIDERS)}")
    keep_anonymous = options.pop("keep_anonymous", True)
    resolved = _resolve_files(spec, files)
    paths = [p for v in resolved.values() for p in (v if isinstance(v, list) else [v])]
    reader = _NATIVE.get(provider) or (lambda f, **o: load_with_kloppy(provider, f, **o))
    try:
        match = reader(resolved, **options)
        return match if keep_anonymous else drop_anonymous_players(match)
    except SidelineError as exc:
        exc.message = scrub_paths(exc.message, paths)
        exc.args = (exc.message,)
        raise
    except MemoryError:
        raise IngestError(f"{_names(resolved)}: too large to read in memory") from None
    except Exception as exc:  # a reader's own error: say which file and what, never the traceback
        raise diagnose_failure(spec, resolved, exc) from None

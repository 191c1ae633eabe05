"""Analysed videos in storage: one ``Dataset`` (kind ``video``) per uploaded video.

- ``dataset.source_file_id``: the uploaded video; ``dataset.meta``:
  ``video`` (size, rate, frames), ``params`` (detector, max_frames, camera), ``stages`` (status per
  stage: pending / running / done / failed / skipped, with message and error), ``tracks``
  (per track id: team, name, athlete, merged_into, colour; the user's corrections live here),
  ``teams`` (kit colour and name per side), ``calibration`` (``keyframes``: per calibrated frame
  the clicked image points, pitch points, homography, residuals; ``summary``: fixed or panning,
  reliable frames, unreliable spans, cuts, written by the project stage), ``poses`` (pose
  requests by id: track, time range, backend, job, status), ``annotated_file_id``, ``match_id``,
  ``warnings``;
- frame streams keyed by video time ``t``: ``frames`` (one row per decoded frame),
  ``detections`` (boxes with kit histograms), ``tracks`` (tracked boxes), ``ball`` (per frame),
  ``motion`` (camera motion from the previous frame, per frame), ``homographies`` (image -> pitch
  per frame with its reliability), ``positions`` (projected pitch metres and speed per track, ball
  as track -1), ``pose.<id>`` (keypoints of one pose request).

A stage's streams and its ``done`` status are written in one transaction, so a failed stage
leaves the earlier stages' results intact and a new job resumes after the last finished one.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from sideline.errors import NotFound
from sideline.storage.blobs import BlobStore
from sideline.storage.frames import delete_frames, read_frames, write_frames
from sideline.storage.models import Dataset, utcnow

KIND = "video"
STAGES = ("probe", "detect", "track", "identify", "camera", "project", "render")
# The streams each stage writes (cleared when the stage is redone).
STAGE_STREAMS = {"probe": (), "detect": ("frames", "detections"), "track": ("tracks", "ball"), "identify": (),
                 "camera": ("motion",), "project": ("positions", "homographies"), "render": ()}


def create_video(session: Session, organisation_id: uuid.UUID, file_id: uuid.UUID, *, name: str, filename: str,
                 params: dict[str, Any]) -> Dataset:
    dataset = Dataset(organisation_id=organisation_id, kind=KIND, name=name[:300], source_file_id=file_id,
                      meta={"video": {"filename": filename}, "params": params,
                            "stages": {s: {"status": "pending"} for s in STAGES},
                            "tracks": {}, "teams": {}, "calibration": None, "annotated_file_id": None,
                            "match_id": None, "warnings": [], "poses": {}})
    session.add(dataset)
    session.flush()
    return dataset


def get_video(session: Session, organisation_id: uuid.UUID, video_id: Any) -> Dataset:
    try:
        dataset = session.get(Dataset, uuid.UUID(str(video_id)))
    except ValueError:
        dataset = None
    if dataset is None or dataset.organisation_id != organisation_id or dataset.kind != KIND:
        raise NotFound("Video not found")
    return dataset


def update_meta(dataset: Dataset, **changes: Any) -> None:
    # Reassign (not mutate) so the JSON column is seen as changed.
    dataset.meta = {**(dataset.meta or {}), **changes}


def set_stage(dataset: Dataset, stage: str, status: str, *, message: str | None = None,
              error: str | None = None) -> None:
    stages = dict(dataset.meta.get("stages") or {})
    stages[stage] = {"status": status, "message": message, "error": error, "updated_at": utcnow().isoformat()}
    update_meta(dataset, stages=stages)


def stage_status(dataset: Dataset, stage: str) -> str:
    stages = dataset.meta.get("stages") or {}
    if stages and stage not in stages:
        # A stage added after this video was analysed (e.g. ``camera``): the video stays as it was
        # (one homography for the whole clip) until a retry or recalibration runs it.
        return "skipped"
    return (stages.get(stage) or {}).get("status", "pending")


def first_unfinished(dataset: Dataset) -> str | None:
    return next((s for s in STAGES if stage_status(dataset, s) not in ("done", "skipped")), None)


def reset_from(session: Session, store: BlobStore, dataset: Dataset, stage: str) -> None:
    """Mark ``stage`` and every later one pending and drop their streams (they will be redone)."""
    stages = dict(dataset.meta.get("stages") or {})
    for name in STAGES[STAGES.index(stage):]:
        stages[name] = {"status": "pending"}
        for stream in STAGE_STREAMS[name]:
            delete_frames(session, store, dataset.id, stream)
    update_meta(dataset, stages=stages)


def write_stream(session: Session, store: BlobStore, dataset: Dataset, stream: str, frame) -> None:
    write_frames(session, store, dataset.id, stream, frame, replace=True)


def read_stream(session: Session, store: BlobStore, dataset: Dataset, stream: str, t0: float | None = None,
                t1: float | None = None, columns: list[str] | None = None):
    return read_frames(session, store, dataset.id, stream, t0, t1, columns=columns)

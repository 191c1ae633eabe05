"""Swings in storage: one ``Dataset`` (kind ``swing``) per analysed clip.

- ``dataset.athlete_id``: whose swing it is (optional); ``source_file_id``: the uploaded clip;
- ``dataset.meta``: sport, club, handedness, view, playback speed, pose model and frame size,
  events, metrics, cues, the feature vector (nearest-swing search) and the annotated video's
  file id;
- frame stream ``pose`` (``sideline.storage.frames``): one row per video frame keyed by its time
  ``t``: ``confidence`` and ``x_k, y_k, z_k, v_k`` per keypoint k (pixels, visibility).

The analysis job writes all of it in one transaction, so a failed analysis publishes nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from sideline.analytics.swing.compare import FEATURE_VERSION, SwingFeatures, swing_features
from sideline.core.pose import BLAZEPOSE_KEYPOINTS, COCO_KEYPOINTS, PoseSequence
from sideline.errors import NotFound
from sideline.storage.blobs import BlobStore
from sideline.storage.frames import read_frames, write_frames
from sideline.storage.models import Dataset

KIND = "swing"
POSE = "pose"
TOPOLOGIES = {"blazepose": BLAZEPOSE_KEYPOINTS, "coco": COCO_KEYPOINTS}


def pose_to_frame(pose: PoseSequence) -> pl.DataFrame:
    columns: dict[str, Any] = {"t": pose.timestamps, "confidence": pose.confidence.astype(np.float32)}
    for k in range(len(pose.keypoint_names)):
        for c, axis in enumerate("xyz"):
            columns[f"{axis}_{k}"] = pose.landmarks[:, k, c].astype(np.float32)
        columns[f"v_{k}"] = pose.visibility[:, k].astype(np.float32)
    return pl.DataFrame(columns)


def pose_from_frame(frame: pl.DataFrame, pose_meta: dict[str, Any]) -> PoseSequence:
    names = TOPOLOGIES[pose_meta["topology"]]
    n = len(names)
    landmarks = np.stack([np.stack([frame[f"{axis}_{k}"].to_numpy().astype(float) for axis in "xyz"], axis=-1)
                          for k in range(n)], axis=1).reshape(frame.height, n, 3)
    visibility = np.stack([frame[f"v_{k}"].to_numpy().astype(float) for k in range(n)], axis=1).reshape(frame.height, n)
    return PoseSequence(timestamps=frame["t"].to_numpy().astype(float), landmarks=landmarks, visibility=visibility,
                        confidence=frame["confidence"].to_numpy().astype(float), keypoint_names=names,
                        frame_size=tuple(pose_meta["frame_size"]), nominal_fps=float(pose_meta["nominal_fps"]),
                        model=pose_meta.get("model", ""))


def pose_meta(pose: PoseSequence, max_side: int | None) -> dict[str, Any]:
    topology = "blazepose" if pose.keypoint_names == BLAZEPOSE_KEYPOINTS else "coco"
    return {"topology": topology, "model": pose.model, "frame_size": list(pose.frame_size),
            "nominal_fps": pose.nominal_fps, "max_side": max_side, "frames": len(pose)}


def save_swing(session: Session, store: BlobStore, organisation_id: uuid.UUID, pose: PoseSequence, *, name: str,
               meta: dict[str, Any], athlete_id: uuid.UUID | None = None,
               source_file_id: uuid.UUID | None = None) -> Dataset:
    """Create the swing's dataset and its pose stream (flushed, not committed)."""
    dataset = Dataset(organisation_id=organisation_id, kind=KIND, name=name[:300], athlete_id=athlete_id,
                      source_file_id=source_file_id, meta=meta)
    session.add(dataset)
    session.flush()
    write_frames(session, store, dataset.id, POSE, pose_to_frame(pose))
    return dataset


def load_pose(session: Session, store: BlobStore, dataset: Dataset) -> PoseSequence:
    if dataset.kind != KIND:
        raise NotFound("Swing not found")
    return pose_from_frame(read_frames(session, store, dataset.id, POSE), dataset.meta["pose"])


def features_of(dataset: Dataset, pose: PoseSequence) -> SwingFeatures:
    meta = dataset.meta
    return swing_features(pose, {name: e["frame"] for name, e in meta["metrics"]["events"].items()},
                          view=meta["view"], right_handed=meta["handedness"] != "left",
                          playback_speed=float(meta.get("playback_speed") or 1.0))


def load_features(session: Session, store: BlobStore, dataset: Dataset) -> SwingFeatures:
    return features_of(dataset, load_pose(session, store, dataset))


def feature_table(session: Session, organisation_id: uuid.UUID, *, sport: str, view: str,
                  scope=None) -> tuple[list[Dataset], np.ndarray]:
    """The organisation's swings of one sport and view with their feature vectors [N, D] (exact search input)."""
    query = select(Dataset).where(Dataset.organisation_id == organisation_id, Dataset.kind == KIND)
    if scope is not None:
        query = scope(query)
    rows = [d for d in session.scalars(query)
            if d.meta.get("sport") == sport and d.meta.get("view") == view
            and d.meta.get("feature_version") == FEATURE_VERSION and d.meta.get("feature_vector")]
    if not rows:
        return [], np.zeros((0, 0))
    return rows, np.asarray([d.meta["feature_vector"] for d in rows], dtype=float)

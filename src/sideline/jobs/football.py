"""Football jobs: import a match, recompute its metrics, render a clip.

An import reads the organisation's uploaded files, turns them into the canonical match,
computes every stored metric and writes the match with all of it in one step (one
transaction): a failed import stores nothing, and a retried one starts cleanly.
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sideline.errors import InvalidInput, NotFound
from sideline.jobs.execution import JobContext
from sideline.jobs.registry import job_type
from sideline.storage import matches
from sideline.storage.models import Clip, Dataset, FileStatus, Organisation, StoredFile
from sideline.storage.uploads import file_key, sanitize_filename

IMPORT_JOB, METRICS_JOB, CLIP_JOB = "football.import", "football.metrics", "football.clip"
MAX_FILES_PER_ROLE = 16


def physical_config(session: Session, organisation_id: uuid.UUID):
    """The organisation's metric definitions (defaults where it set none)."""
    from sideline.analytics.football.physical import PhysicalConfig

    org = session.get(Organisation, organisation_id)
    stored = ((org.settings or {}).get("football") or {}).get("physical") if org else None
    return PhysicalConfig.from_dict(stored) if stored else PhysicalConfig()


def _file_ids(files: Any) -> dict[str, list[uuid.UUID]]:
    if not isinstance(files, dict) or not files:
        raise InvalidInput("files: give an object mapping each file role to an uploaded file id (or a list of ids)")
    out: dict[str, list[uuid.UUID]] = {}
    for role, value in files.items():
        values = value if isinstance(value, list) else [value]
        if not values or len(values) > MAX_FILES_PER_ROLE:
            raise InvalidInput(f"files.{role}: give 1 to {MAX_FILES_PER_ROLE} file ids")
        try:
            out[str(role)] = [uuid.UUID(str(v)) for v in values]
        except ValueError:
            raise InvalidInput(f"files.{role}: {value!r} is not a file id") from None
    return out


def validate_import(params: dict[str, Any]) -> None:
    from sideline.ingest.football import PROVIDERS

    provider = params.get("provider")
    if provider not in PROVIDERS:
        raise InvalidInput(f"Unknown provider {provider!r}; supported: {', '.join(sorted(PROVIDERS))}")
    spec = PROVIDERS[provider]
    roles = _file_ids(params.get("files"))
    unknown = sorted(set(roles) - set(spec.roles))
    if unknown:
        raise InvalidInput(f"{provider} does not take file role(s) {', '.join(unknown)}; "
                           f"it takes: {', '.join(spec.roles)}")
    missing = [role for role in spec.required if role not in roles]
    if missing:
        raise InvalidInput(f"{provider} needs file role(s): {', '.join(missing)}")
    for role, ids in roles.items():
        if role not in spec.multi and len(ids) > 1:
            raise InvalidInput(f"files.{role}: {provider} takes one file for this role")
    if params.get("match_id") is not None:
        if spec.kind != "events":
            raise InvalidInput(f"match_id: only event data can be added to an existing match; {provider} is {spec.kind}")
        try:
            uuid.UUID(str(params["match_id"]))
        except ValueError:
            raise InvalidInput("match_id: not a match id") from None
    name = params.get("name")
    if name is not None and (not isinstance(name, str) or not 1 <= len(name.strip()) <= 300):
        raise InvalidInput("name: 1 to 300 characters")


def check_files_owned(session: Session, organisation_id: uuid.UUID, params: dict[str, Any]) -> None:
    """Every file must be a ready upload of the same organisation (404 otherwise, like any other id)."""
    for role, ids in _file_ids(params.get("files")).items():
        for file_id in ids:
            f = session.get(StoredFile, file_id)
            if f is None or f.organisation_id != organisation_id:
                raise NotFound(f"files.{role}: no file {file_id} in this organisation")
            if f.status != FileStatus.ready:
                raise InvalidInput(f"files.{role}: {f.filename} is not completely uploaded (status {f.status.value})")


def _materialise(ctx: JobContext, folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Copy the uploads into ``folder`` under their own names, so reader errors name the user's file."""
    blobs = ctx.env.blobs
    paths: dict[str, Any] = {}
    source: dict[str, Any] = {}
    with ctx.db.session() as s:
        for role, ids in _file_ids(ctx.params["files"]).items():
            role_paths = []
            for n, file_id in enumerate(ids):
                f = s.get(StoredFile, file_id)
                if f is None or f.organisation_id != ctx.organisation_id or f.status != FileStatus.ready:
                    raise NotFound(f"files.{role}: file {file_id} is gone")
                target = folder / f"{role}-{n}" / sanitize_filename(f.filename)
                target.parent.mkdir(parents=True)
                with blobs.open_read(f.blob_key) as reader, target.open("wb") as out:
                    while chunk := reader.read(1 << 20):
                        out.write(chunk)
                role_paths.append(target)
                source.setdefault(role, []).append({"file_id": str(f.id), "filename": f.filename, "sha256": f.sha256})
            paths[role] = role_paths if isinstance(ctx.params["files"][role], list) else role_paths[0]
    return paths, source


@job_type(IMPORT_JOB, queue="ingest", description="Imports a football match (tracking and/or events) and computes its metrics",
          validate=validate_import, generic_api=False)
def import_match(ctx: JobContext) -> dict:
    from sideline.analytics.football.report import compute_report
    from sideline.ingest.football import IMPORT_OPTIONS, load_match

    if ctx.step_done("store"):  # a retry after the match was stored: nothing left to do
        return ctx.run_step("store", lambda _s: None) or {}
    provider = ctx.params["provider"]
    with tempfile.TemporaryDirectory(prefix="sideline-import-") as tmp:
        ctx.progress(2, "Fetching the uploaded files")
        paths, source = _materialise(ctx, Path(tmp))
        ctx.progress(10, f"Reading {provider} data")
        match = load_match(provider, paths, **IMPORT_OPTIONS.get(provider, {}))
    if ctx.params.get("match_id"):
        return _attach_events(ctx, match, source)
    ctx.progress(45, "Computing metrics")
    with ctx.db.session() as s:
        config = physical_config(s, ctx.organisation_id)
    report = compute_report(match, config, progress=lambda f, msg: ctx.progress(45 + 45 * f, msg))
    ctx.progress(90, "Saving the match")
    name = (ctx.params.get("name") or "").strip() or default_match_name(match)

    def store(session: Session) -> dict:
        dataset = matches.save_match(session, ctx.env.blobs, ctx.organisation_id, match, name=name,
                                     source={"provider": provider, "files": source})
        matches.save_derived(session, ctx.env.blobs, dataset, report.streams, report.meta)
        return {"match_id": str(dataset.id), "name": name}

    return ctx.run_step("store", store) or {}


def _attach_events(ctx: JobContext, events_match, source: dict) -> dict:
    """Link the imported events to the organisation's existing tracking match and recompute."""
    from sideline.analytics.football.report import compute_report
    from sideline.analytics.football.sync import attach_events

    if events_match.events is None:
        raise InvalidInput("These files hold no events to add to the match")
    ctx.progress(30, "Linking the events to the tracking data")
    with ctx.db.session() as s:
        dataset = _match_dataset(s, ctx.organisation_id, ctx.params["match_id"])
        match = matches.load_match(s, ctx.env.blobs, dataset)
        config = physical_config(s, ctx.organisation_id)
    merged = attach_events(match, events_match.events)
    ctx.progress(45, "Computing metrics")
    report = compute_report(merged, config, progress=lambda f, msg: ctx.progress(45 + 45 * f, msg))

    def store(session: Session) -> dict:
        dataset = _match_dataset(session, ctx.organisation_id, ctx.params["match_id"])
        matches.save_events(session, ctx.env.blobs, dataset, merged, source={"provider": ctx.params["provider"],
                                                                           "files": source})
        matches.save_derived(session, ctx.env.blobs, dataset, report.streams, report.meta)
        return {"match_id": str(dataset.id), "name": dataset.name}

    return ctx.run_step("store", store) or {}


def default_match_name(match) -> str:
    meta = match.meta
    name = f"{meta.home.name} v {meta.away.name}"
    if meta.date:
        name += f" ({meta.date:%Y-%m-%d})"
    return name


def _match_dataset(session: Session, organisation_id: uuid.UUID, match_id: Any) -> Dataset:
    try:
        dataset = session.get(Dataset, uuid.UUID(str(match_id)))
    except ValueError:
        dataset = None
    if dataset is None or dataset.organisation_id != organisation_id or dataset.kind != matches.KIND:
        raise NotFound("Match not found")
    return dataset


def _validate_match_id(params: dict[str, Any]) -> None:
    try:
        uuid.UUID(str(params.get("match_id")))
    except ValueError:
        raise InvalidInput("match_id: a match id is required") from None


@job_type(METRICS_JOB, queue="ingest", description="Recomputes a match's stored metrics with the organisation's definitions",
          validate=_validate_match_id)
def recompute_metrics(ctx: JobContext) -> dict:
    from sideline.analytics.football.report import compute_report

    with ctx.db.session() as s:
        dataset = _match_dataset(s, ctx.organisation_id, ctx.params["match_id"])
        match = matches.load_match(s, ctx.env.blobs, dataset)
        config = physical_config(s, ctx.organisation_id)
    ctx.progress(20, "Computing metrics")
    report = compute_report(match, config, progress=lambda f, msg: ctx.progress(20 + 70 * f, msg))

    def store(session: Session) -> dict:
        dataset = _match_dataset(session, ctx.organisation_id, ctx.params["match_id"])
        matches.save_derived(session, ctx.env.blobs, dataset, report.streams, report.meta)
        return {"match_id": str(dataset.id), "metrics_version": report.meta.get("metrics_version")}

    return ctx.run_step("store", store) or {}


def _validate_clip(params: dict[str, Any]) -> None:
    try:
        uuid.UUID(str(params.get("clip_id")))
    except ValueError:
        raise InvalidInput("clip_id: a clip id is required") from None


@job_type(CLIP_JOB, queue="video", description="Renders a football clip's 2D animation to an MP4 video",
          validate=_validate_clip, generic_api=False)
def render_clip_job(ctx: JobContext) -> dict:
    from sideline.vision.pitch_render import render_clip

    clip_id = uuid.UUID(str(ctx.params["clip_id"]))
    with ctx.db.session() as s:
        clip = s.get(Clip, clip_id)
        if clip is None or clip.organisation_id != ctx.organisation_id:
            raise NotFound("Clip not found")
        dataset = _match_dataset(s, ctx.organisation_id, clip.dataset_id)
        # A second of context either side, so interpolation has its bracketing frames.
        tracking = matches.load_tracking(s, ctx.env.blobs, dataset, clip.start_s - 1.0, clip.end_s + 1.0)
        events = matches.load_events(s, ctx.env.blobs, dataset)
        start_s, end_s, clip_name, match_name = clip.start_s, clip.end_s, clip.name, dataset.name
    if tracking is None or tracking.n_frames == 0:
        raise InvalidInput("This match has no tracking data in the clip's time range to render")
    file_id = uuid.uuid4()
    key = file_key(ctx.organisation_id, file_id)
    blobs = ctx.env.blobs
    with tempfile.TemporaryDirectory(prefix="sideline-clip-") as tmp:
        out = Path(tmp) / "clip.mp4"
        result = render_clip(tracking, start_s, end_s, out, events=events.table if events else None,
                             title=f"{match_name} — {clip_name}",
                             progress=lambda f: ctx.progress(95 * f, "Rendering"))
        data = out.read_bytes()
    blobs.put(key, data)

    def store(session: Session) -> dict:
        clip = session.get(Clip, clip_id)
        if clip is None:
            raise NotFound("Clip not found")
        f = StoredFile(id=file_id, organisation_id=ctx.organisation_id, filename=sanitize_filename(f"{clip.name}.mp4"),
                       content_type="video/mp4", size=len(data), received=len(data),
                       sha256=hashlib.sha256(data).hexdigest(), status=FileStatus.ready, blob_key=key)
        session.add(f)
        session.flush()
        clip.video_file_id = f.id
        return {"clip_id": str(clip_id), "file_id": str(f.id), "frames": result.frames, "bytes": len(data)}

    try:
        return ctx.run_step("store", store) or {}
    except BaseException:
        blobs.delete(key)
        raise


def clip_render_state(session: Session, clip: Clip) -> dict[str, Any]:
    from sideline.storage.models import Job, JobState

    if clip.video_file_id is not None:
        return {"status": "ready", "file_id": clip.video_file_id, "job_id": clip.render_job_id}
    if clip.render_job_id is None:
        return {"status": "none", "file_id": None, "job_id": None}
    job = session.scalar(select(Job).where(Job.id == clip.render_job_id))
    if job is None or job.state in (JobState.failed, JobState.cancelled):
        return {"status": "failed", "file_id": None, "job_id": clip.render_job_id,
                "error": job.error if job else None}
    return {"status": "rendering", "file_id": None, "job_id": clip.render_job_id}


def store_local_file(session: Session, blobs, organisation_id: uuid.UUID, path: Path,
                     user_id: uuid.UUID | None = None) -> StoredFile:
    """Register a file from the local disk as a ready upload of the organisation (CLI imports)."""
    file_id = uuid.uuid4()
    key = file_key(organisation_id, file_id)
    hasher = hashlib.sha256()
    size = 0
    with path.open("rb") as src, blobs.open_write(key) as writer:
        while chunk := src.read(1 << 20):
            hasher.update(chunk)
            size += len(chunk)
            writer.write(chunk)
    if size == 0:
        blobs.delete(key)
        raise InvalidInput(f"{path.name}: the file is empty")
    row = StoredFile(id=file_id, organisation_id=organisation_id, created_by_id=user_id,
                     filename=sanitize_filename(path.name), content_type="application/octet-stream", size=size,
                     received=size, sha256=hasher.hexdigest(), status=FileStatus.ready, blob_key=key)
    session.add(row)
    session.flush()
    return row


def import_local_files(services, organisation_id: uuid.UUID, provider: str, paths: dict[str, Any], *,
                       name: str | None = None, user_id: uuid.UUID | None = None) -> tuple[uuid.UUID, Any]:
    """Upload local files and run the import job in this process (the same job the API starts).

    Returns the job id and its outcome; the caller reads the job row for the result or error.
    """
    from sideline.jobs.execution import execute
    from sideline.jobs.service import create_job

    params: dict[str, Any] = {"provider": provider, "files": {}}
    if name:
        params["name"] = name
    validate_import({**params, "files": {role: (["00000000-0000-0000-0000-000000000000"] * len(v)
                                                  if isinstance(v, list) else "00000000-0000-0000-0000-000000000000")
                                          for role, v in paths.items()}})
    with services.db.session() as s:
        for role, value in paths.items():
            values = value if isinstance(value, list) else [value]
            ids = [str(store_local_file(s, services.blobs, organisation_id, Path(p), user_id).id) for p in values]
            params["files"][role] = ids if isinstance(value, list) else ids[0]
        job = create_job(s, organisation_id, IMPORT_JOB, params, created_by_id=user_id, max_attempts=1)
        job_id = job.id
    outcome = execute(services.job_env, job_id, "cli")
    return job_id, outcome

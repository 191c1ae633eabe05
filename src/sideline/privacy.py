"""Data protection: erase an athlete with all their data, export an organisation.

Erasure order: blobs first, then the rows in one transaction. If the transaction fails the
rows survive and the erasure can simply be repeated (deleting a missing blob is a no-op);
the reverse order could commit the rows away and leave orphaned blobs nobody can find.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import decimal
import enum
import json
import logging
import re
import uuid
import zipfile
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from sideline.jobs.execution import JobContext
from sideline.jobs.registry import job_type
from sideline.storage.models import (Athlete, Base, Dataset, FramePart, Job, JobState, Lap, Membership, Metric,
                                     Organisation, Sample, StoredFile, User, utcnow)
from sideline.storage.uploads import staging_key  # where unfinished uploads keep their bytes

log = logging.getLogger(__name__)

EXPORT_JOB = "org.export"
EXPORT_FORMAT_VERSION = 1
# Never exported: credentials and the hashes of one-time tokens.
SECRET_COLUMNS = frozenset({"password_hash", "key_hash", "token_hash"})
# Of users, only what identifies a member; not their other organisations or login state.
USER_COLUMNS = ("id", "email", "name", "created_at")


def export_blob_key(organisation_id: uuid.UUID, job_id: uuid.UUID) -> str:
    return f"exports/{organisation_id}/{job_id}.zip"


# --- Deleting ---------------------------------------------------------------------------------

@dataclasses.dataclass
class Erasure:
    counts: dict[str, int]
    # Blobs whose rows appeared while the erasure ran; delete them after the commit.
    late_blob_keys: list[str]

    def finish(self, blobs) -> None:
        for key in self.late_blob_keys:
            _delete_blob(blobs, key)


def _delete_blob(blobs, key: str | None) -> None:
    if key:
        blobs.delete(key)


def _delete_datasets(session: Session, dataset_ids: list[uuid.UUID], counts: dict[str, int],
                     deleted_keys: set[str]) -> list[str]:
    """Delete the rows of these datasets and everything under them; returns unseen blob keys."""
    late: list[str] = []
    if not dataset_ids:
        return late
    for name, model in (("samples", Sample), ("metrics", Metric), ("laps", Lap)):
        counts[name] = counts.get(name, 0) + session.execute(
            delete(model).where(model.dataset_id.in_(dataset_ids))).rowcount
    parts = session.execute(delete(FramePart).where(FramePart.dataset_id.in_(dataset_ids))
                            .returning(FramePart.blob_key)).scalars().all()
    counts["frame_parts"] = counts.get("frame_parts", 0) + len(parts)
    late += [k for k in parts if k not in deleted_keys]
    counts["datasets"] = counts.get("datasets", 0) + session.execute(
        delete(Dataset).where(Dataset.id.in_(dataset_ids))).rowcount
    return late


def delete_dataset(session: Session, blobs, dataset: Dataset) -> Erasure:
    """Delete a dataset with its samples, metrics, laps and frame parts (rows and blobs)."""
    keys = set(session.scalars(select(FramePart.blob_key).where(FramePart.dataset_id == dataset.id)).all())
    for key in keys:
        _delete_blob(blobs, key)
    counts: dict[str, int] = {}
    late = _delete_datasets(session, [dataset.id], counts, keys)
    session.expunge(dataset)
    return Erasure(counts, late)


def erase_athlete(session: Session, blobs, athlete: Athlete) -> Erasure:
    """Delete the athlete and all their data: datasets (with samples, metrics, laps and frame
    parts), files, and the samples and metrics about them in other (e.g. team) datasets.

    Exports made before hold their data too, so the organisation's export archives are
    deleted as well (their jobs say so). The athlete's user login, if any, is not touched:
    it is a separate account that may belong to other organisations.
    """
    org_id, athlete_id = athlete.organisation_id, athlete.id
    dataset_ids = list(session.scalars(select(Dataset.id).where(Dataset.organisation_id == org_id,
                                                                Dataset.athlete_id == athlete_id)).all())
    files = session.execute(select(StoredFile.id, StoredFile.blob_key).where(
        StoredFile.organisation_id == org_id, StoredFile.athlete_id == athlete_id)).all()
    keys: set[str] = {key for _, key in files} | {staging_key(file_id) for file_id, _ in files}
    if dataset_ids:
        keys |= set(session.scalars(select(FramePart.blob_key).where(FramePart.dataset_id.in_(dataset_ids))).all())
    exports = session.scalars(select(Job).where(Job.organisation_id == org_id, Job.type == EXPORT_JOB,
                                                Job.state == JobState.succeeded)).all()
    live_exports = [j for j in exports if not (j.result or {}).get("deleted")]
    for job in live_exports:
        keys.add(export_blob_key(org_id, job.id))
    for key in keys:
        _delete_blob(blobs, key)

    counts: dict[str, int] = {}
    late = _delete_datasets(session, dataset_ids, counts, keys)
    for name, model in (("samples", Sample), ("metrics", Metric)):
        counts[name] = counts.get(name, 0) + session.execute(
            delete(model).where(model.organisation_id == org_id, model.athlete_id == athlete_id)).rowcount
    deleted_files = session.execute(delete(StoredFile).where(StoredFile.organisation_id == org_id,
                                                             StoredFile.athlete_id == athlete_id)
                                    .returning(StoredFile.blob_key)).scalars().all()
    counts["files"] = len(deleted_files)
    late += [k for k in deleted_files if k not in keys]
    for job in live_exports:
        job.result = {**(job.result or {}), "deleted": True,
                      "deleted_reason": "An athlete's data was erased after this export was made"}
    counts["exports"] = len(live_exports)
    session.execute(delete(Athlete).where(Athlete.id == athlete_id))
    session.expunge(athlete)
    for name in ("datasets", "frame_parts", "samples", "metrics", "laps"):
        counts.setdefault(name, 0)
    return Erasure(counts, late)


# --- Exporting --------------------------------------------------------------------------------

def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"cannot export a {type(value).__name__}")


def _organisation_tables() -> list[Table]:
    """Every table with an ``organisation_id``: new tables are exported without code changes."""
    return [t for t in Base.metadata.sorted_tables if "organisation_id" in t.c]


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "file"
    return cleaned[:120]


def _write_rows(zf: zipfile.ZipFile, name: str, rows) -> int:
    n = 0
    with zf.open(f"tables/{name}.json", "w") as out:
        out.write(b"[")
        for row in rows:
            record = {k: v for k, v in row._mapping.items() if k not in SECRET_COLUMNS}
            out.write((b",\n" if n else b"\n") + json.dumps(record, default=_json_default).encode())
            n += 1
        out.write(b"\n]\n")
    return n


def write_export(session: Session, blobs, organisation_id: uuid.UUID, fileobj, ctx: JobContext | None = None) -> dict:
    """Write the organisation's rows (one JSON array per table) and its files as a zip."""
    tables = _organisation_tables()
    counts: dict[str, int] = {}
    files: list[dict] = []
    steps = len(tables) + 3
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        org = session.get(Organisation, organisation_id)
        counts["organisations"] = _write_rows(zf, "organisations", session.execute(
            select(Organisation.__table__).where(Organisation.id == organisation_id)))
        member_ids = select(Membership.user_id).where(Membership.organisation_id == organisation_id)
        user_cols = [User.__table__.c[c] for c in USER_COLUMNS]
        counts["users"] = _write_rows(zf, "users", session.execute(
            select(*user_cols).where(User.id.in_(member_ids)).order_by(User.email)))
        for i, table in enumerate(tables):
            if ctx is not None:
                ctx.progress(100.0 * (i + 2) / steps, f"Exporting {table.name}")
            query = select(table).where(table.c.organisation_id == organisation_id)
            if "id" in table.c:
                query = query.order_by(table.c.id)
            counts[table.name] = _write_rows(zf, table.name, session.execute(
                query.execution_options(yield_per=1000)))
        if ctx is not None:
            ctx.progress(100.0 * (steps - 1) / steps, "Exporting files")
        stored = session.scalars(select(StoredFile).where(StoredFile.organisation_id == organisation_id)
                                 .order_by(StoredFile.id)).all()
        parts = session.scalars(select(FramePart).where(FramePart.organisation_id == organisation_id)
                                .order_by(FramePart.id)).all()
        entries = [(f"files/{f.id}/{_safe_name(f.filename)}", f.blob_key, "file", f.id) for f in stored]
        entries += [(f"frame_parts/{p.id}.parquet", p.blob_key, "frame_part", p.id) for p in parts]
        for path, key, kind, object_id in entries:
            if ctx is not None:
                ctx.check()
            record = {"path": path, "kind": kind, "id": str(object_id)}
            if not key or not blobs.exists(key):
                record["missing"] = True  # e.g. an upload that never completed
            else:
                with zf.open(path, "w", force_zip64=True) as out:
                    for piece in blobs.iter_read(key):
                        out.write(piece)
            files.append(record)
        manifest = {"format_version": EXPORT_FORMAT_VERSION, "organisation_id": str(organisation_id),
                    "organisation_name": org.name if org else None, "created_at": utcnow().isoformat(),
                    "tables": counts, "files": files}
        zf.writestr("manifest.json", json.dumps(manifest, indent=2))
    return {"tables": counts, "files": sum(1 for f in files if not f.get("missing"))}


@job_type(EXPORT_JOB, description="Exports all of an organisation's data and files as one zip archive")
def export_organisation(ctx: JobContext) -> dict:
    blobs = ctx.env.blobs
    key = export_blob_key(ctx.organisation_id, ctx.job_id)
    with ctx.db.sessions() as session, blobs.open_write(key) as writer:
        if ctx.db.is_postgres:
            # One snapshot for the whole export, so rows written meanwhile cannot half-appear.
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        summary = write_export(session, blobs, ctx.organisation_id, writer, ctx)
        size = writer.written
    return {**summary, "size": size}

"""Exporting an organisation (owners only): a job writes a zip, downloaded when done."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status
from fastapi.responses import StreamingResponse

from sideline.api.deps import OrgAdmin, OrgContext, ServicesDep, SessionDep, get_owned
from sideline.api.schemas import ERROR_RESPONSES
from sideline.errors import Conflict, Gone, NotFound
from sideline.jobs.schemas import JobOut
from sideline.jobs.service import create_job
from sideline.privacy import EXPORT_JOB, export_blob_key
from sideline.storage.blobs import BlobNotFound
from sideline.storage.models import Job, JobState, Organisation

router = APIRouter(tags=["export"], responses=ERROR_RESPONSES)


def _start(org: OrgContext, session, services) -> JobOut:
    job = create_job(session, org.organisation_id, EXPORT_JOB, {}, created_by_id=org.user_id,
                     max_attempts=services.settings.job_max_attempts)
    session.commit()  # the job must exist before a worker looks for it
    services.runner.dispatch(job.id, job.queue)
    return JobOut.model_validate(job)


@router.post("/orgs/{org_id}/export", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def start_export(org: OrgAdmin, session: SessionDep, services: ServicesDep) -> JobOut:
    """Start exporting every row and file of the organisation; follow the returned job."""
    return _start(org, session, services)


@router.get("/orgs/{org_id}/export", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def start_export_get(org: OrgAdmin, session: SessionDep, services: ServicesDep) -> JobOut:
    """The same as POST (kept for links that can only GET); each call starts a new export."""
    return _start(org, session, services)


@router.get("/orgs/{org_id}/exports/{job_id}/download", response_class=StreamingResponse,
            responses={200: {"content": {"application/zip": {}}, "description": "The export archive"},
                       409: {"description": "The export has not finished"},
                       410: {"description": "The archive was deleted"}})
def download_export(job_id: uuid.UUID, org: OrgAdmin, session: SessionDep, services: ServicesDep) -> StreamingResponse:
    job = get_owned(session, Job, org, job_id, "Export")
    if job.type != EXPORT_JOB:
        raise NotFound("Export not found")
    if job.state != JobState.succeeded:
        detail = f": {job.error}" if job.state == JobState.failed and job.error else ""
        raise Conflict(f"The export is not ready to download (it is {job.state.value}{detail})")
    if (job.result or {}).get("deleted"):
        raise Gone(f"This export was deleted ({job.result.get('deleted_reason', 'data was erased')}); "
                   "start a new export")
    key = export_blob_key(org.organisation_id, job.id)
    try:
        size = services.blobs.size(key)
    except BlobNotFound:
        raise Gone("The export archive no longer exists; start a new export") from None
    slug = session.get(Organisation, org.organisation_id).slug
    filename = f"sideline-export-{slug}-{job.finished_at or job.created_at:%Y%m%d-%H%M%S}.zip"
    return StreamingResponse(services.blobs.iter_read(key), media_type="application/zip",
                             headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                      "Content-Length": str(size)})

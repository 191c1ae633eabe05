"""The ``sideline`` command line."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Optional

import typer

from sideline import __version__
from sideline.settings import ConfigurationError, Settings, get_settings

app = typer.Typer(help="Sideline: self-hostable sports performance analytics.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Users and organisations.", no_args_is_help=True)
f1_app = typer.Typer(help="Formula 1 sessions.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(f1_app, name="f1")

DEMO_EMAIL = "demo@sideline.local"
DEMO_PASSWORD = "sideline-demo"
DEMO_ORG = "Demo Club"


def fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def settings() -> Settings:
    try:
        return get_settings()
    except ConfigurationError as exc:
        fail(str(exc), 2)
        raise  # unreachable


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sideline {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(version: Optional[bool] = typer.Option(None, "--version", callback=_version, is_eager=True,
                                                        help="Print the version and exit.")) -> None:
    from sideline.logs import configure_logging

    configure_logging(settings())


def _database():
    from sideline.storage.db import Database

    return Database.from_settings(settings())


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations (creates the embedded database on first use)."""
    from sideline.storage.migrate import upgrade

    db = _database()
    try:
        upgrade(db.engine, revision)
    except Exception as exc:  # connection refused, permissions: one line, not a traceback
        fail(f"could not migrate {db.engine.url.render_as_string(hide_password=True)}: {exc.__class__.__name__}: "
             f"{str(exc).splitlines()[0] if str(exc) else ''}")
    typer.echo(f"database at revision {revision}: {db.engine.url.render_as_string(hide_password=True)}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision."""
    from sideline.storage.migrate import current_revision, head_revision

    db = _database()
    typer.echo(f"current: {current_revision(db.engine)}  head: {head_revision()}")


def _require_schema(db) -> None:
    from sideline.storage.migrate import is_up_to_date

    try:
        ok = is_up_to_date(db.engine)
    except Exception as exc:
        fail(f"cannot reach the database: {exc.__class__.__name__}")
    if not ok:
        fail("the database schema is not up to date; run `sideline db upgrade`")


@users_app.command("create")
def users_create(email: str, password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
                 name: str = "", organisation: Optional[str] = typer.Option(None, help="Create or join this organisation"),
                 role: str = typer.Option("owner", help="Role in the organisation"),
                 superuser: bool = False) -> None:
    """Create a user (and optionally an organisation they belong to)."""
    from sqlalchemy import select

    from sideline.accounts import create_organisation, ensure_user
    from sideline.errors import InvalidInput
    from sideline.storage.models import Membership, Organisation, Role

    if "@" not in email:
        fail(f"not an email address: {email!r}")
    try:
        role_value = Role(role)
    except ValueError:
        fail(f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}")
    db = _database()
    _require_schema(db)
    with db.session() as session:
        try:
            user = ensure_user(session, email, password, name, superuser=superuser)
        except InvalidInput as exc:
            fail(exc.message)
        if organisation:
            org = session.scalar(select(Organisation).where(Organisation.name == organisation))
            if org is None:
                org = create_organisation(session, organisation, None)
            if session.scalar(select(Membership).where(Membership.organisation_id == org.id,
                                                       Membership.user_id == user.id)) is None:
                session.add(Membership(organisation_id=org.id, user_id=user.id, role=role_value))
    typer.echo(f"user {email} ready" + (f" ({role} of {organisation})" if organisation else ""))


@app.command()
def demo(match: bool = typer.Option(True, "--match/--no-match",
                                    help="Also import the SkillCorner demo match (takes a few seconds).")) -> None:
    """Create the demo organisation and login, and import a demo match (idempotent)."""
    from sqlalchemy import select

    from sideline.accounts import create_organisation, ensure_user
    from sideline.storage.migrate import upgrade
    from sideline.storage.models import Membership, Organisation, Role

    db = _database()
    upgrade(db.engine)
    with db.session() as session:
        user = ensure_user(session, DEMO_EMAIL, DEMO_PASSWORD, "Demo Coach")
        org = session.scalar(select(Organisation).where(Organisation.slug == "demo-club"))
        if org is None:
            org = create_organisation(session, DEMO_ORG, None, "demo-club")
        if session.scalar(select(Membership).where(Membership.organisation_id == org.id,
                                                   Membership.user_id == user.id)) is None:
            session.add(Membership(organisation_id=org.id, user_id=user.id, role=Role.owner))
        org_id = org.id
    if match:
        _demo_match(db, org_id)
    typer.echo(f"demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")


def _demo_match(db, organisation_id) -> None:
    """Import the full SkillCorner match that kloppy's wheel ships, once per demo organisation."""
    from sqlalchemy import select

    from sideline.errors import SidelineError
    from sideline.ingest.football import demo_skillcorner_files
    from sideline.jobs.football import import_local_files
    from sideline.services import build_services
    from sideline.storage import matches
    from sideline.storage.models import Dataset, Job

    with db.session() as session:
        if session.scalar(select(Dataset.id).where(Dataset.organisation_id == organisation_id,
                                                   Dataset.kind == matches.KIND).limit(1)) is not None:
            return
    try:
        files = demo_skillcorner_files()
    except SidelineError as exc:
        typer.secho(f"warning: no demo match: {exc.message}", err=True, fg=typer.colors.YELLOW)
        return
    typer.echo("importing the demo match (SkillCorner, Bayern v Dortmund, from the kloppy package)...")
    services = build_services(settings(), start_runner=False)
    try:
        job_id, _outcome = import_local_files(services, organisation_id, "skillcorner",
                                              {k: str(v) for k, v in files.items()})
        with services.db.session() as session:
            job = session.get(Job, job_id)
            if job.state.value != "succeeded":
                typer.secho(f"warning: the demo match did not import: {job.error}", err=True, fg=typer.colors.YELLOW)
    finally:
        services.close()


@app.command("import")
def import_command(
    provider: str = typer.Argument(..., help="Data provider, e.g. skillcorner, tracab, statsbomb, gnss"),
    files: list[str] = typer.Argument(..., help="ROLE=PATH for each file, e.g. raw_data=match.json meta_data=meta.json"),
    org: str = typer.Option(..., "--org", help="Organisation slug"),
    name: Optional[str] = typer.Option(None, help="Match name (default: teams and date)"),
) -> None:
    """Import a football match from local files (runs the same job as an upload through the API)."""
    from sideline.errors import SidelineError
    from sideline.jobs.football import import_local_files

    paths: dict[str, object] = {}
    for item in files:
        role, sep, path = item.partition("=")
        if not sep or not role or not path:
            fail(f"{item!r}: give each file as ROLE=PATH")
        if not Path(path).is_file():
            fail(f"{path}: no such file")
        if role in paths:  # a repeated role takes several files (e.g. signality raw_data_feeds)
            previous = paths[role]
            paths[role] = [*(previous if isinstance(previous, list) else [previous]), path]
        else:
            paths[role] = path
    with _org_services(org) as (services, org_id):
        try:
            job_id, _ = import_local_files(services, org_id, provider, paths, name=name)
        except SidelineError as exc:
            fail(exc.message)
        result = _finished_job_result(services, job_id)
        typer.echo(f"imported {result.get('name')} as match {result.get('match_id')}")


@contextlib.contextmanager
def _org_services(org: str):
    """A process's services for a CLI import into the organisation with slug ``org`` (an embedded
    install is migrated first), and that organisation's id."""
    from sqlalchemy import select

    from sideline.services import build_services
    from sideline.storage.migrate import upgrade
    from sideline.storage.models import Organisation

    services = build_services(settings(), start_runner=False)
    try:
        if settings().is_embedded:
            upgrade(services.db.engine)
        with services.db.session() as session:
            org_id = session.scalar(select(Organisation.id).where(Organisation.slug == org))
        if org_id is None:
            fail(f"no organisation with slug {org!r}")
        yield services, org_id
    finally:
        services.close()


def _finished_job_result(services, job_id) -> dict:
    """The result of a job run in this process, or one line naming why it failed."""
    from sideline.storage.models import Job

    with services.db.session() as session:
        job = session.get(Job, job_id)
        state, error, result = job.state.value, job.error, job.result or {}
    if state != "succeeded":
        fail(f"import failed: {error}")
    return result


@f1_app.command("fetch")
def f1_fetch(
    year: Optional[int] = typer.Argument(None, help="Season, e.g. 2024"),
    event: Optional[str] = typer.Argument(None, help="Event name or round, e.g. Azerbaijan"),
    session_name: Optional[str] = typer.Argument(None, metavar="SESSION", help="e.g. R, Q, Sprint, FP1"),
    path: Optional[str] = typer.Option(None, "--path", help="The archive path instead of YEAR EVENT SESSION, "
                                       "e.g. 2018/2018-04-29_Azerbaijan_Grand_Prix/2018-04-29_Race"),
    dest: Optional[Path] = typer.Option(None, "--dest", help="Folder for the .jsonStream files (default: under SIDELINE_HOME)"),
    telemetry: bool = typer.Option(False, "--telemetry", help="Also fetch car telemetry and positions (large)"),
    org: Optional[str] = typer.Option(None, "--org", help="Import the session as a public F1 session, the files "
                                      "owned by this organisation (slug); without it the files are only downloaded"),
    base_url: str = typer.Option("https://livetiming.formula1.com", "--base-url", hidden=True),
) -> None:
    """Fetch a past session's recorded live-timing feed (needs the internet) and optionally import it
    to replay it live in the app, like the recordings the tests use."""
    from sideline.errors import SidelineError
    from sideline.ingest.f1 import fetch

    try:
        if path is None:
            if year is None or event is None or session_name is None:
                fail("give YEAR EVENT SESSION (e.g. 2024 Azerbaijan R) or --path")
            path = fetch.session_path(year, int(event) if event.isdigit() else event, session_name)
        archive_path = fetch.normalise_path(path)
        folder = dest or settings().home / "f1" / archive_path.strip("/").replace("/", "_")
        streams = fetch.STREAMS + (fetch.TELEMETRY_STREAMS if telemetry else ())
        result = fetch.fetch_session(archive_path, folder, base_url=base_url, streams=streams)
    except SidelineError as exc:
        fail(exc.message)
    typer.echo(f"fetched {len(result.files)} streams into {folder}"
               + (f" (not in the archive: {', '.join(result.missing)})" if result.missing else ""))
    if org:
        _import_f1_files(org, result.files)


def _import_f1_files(org: str, files: list[Path]) -> None:
    """Register the files as uploads of the organisation and run the F1 import job in this process."""
    from sideline.jobs.execution import execute
    from sideline.jobs.f1 import IMPORT_JOB
    from sideline.jobs.football import store_local_file
    from sideline.jobs.service import create_job

    with _org_services(org) as (services, org_id):
        with services.db.session() as session:
            ids = [str(store_local_file(session, services.blobs, org_id, f).id) for f in files]
            job_id = create_job(session, org_id, IMPORT_JOB, {"files": ids}, max_attempts=1).id
        execute(services.job_env, job_id, "cli")
        result = _finished_job_result(services, job_id)
        typer.echo(f"imported {result.get('name') or 'the session'} as F1 session {result.get('session_id')}")


@app.command()
def serve(host: Optional[str] = None, port: Optional[int] = None, workers: int = 1,
          reload: bool = False) -> None:
    """Run the API server and web app."""
    import uvicorn

    s = settings()
    from sideline.observability import check_tracing

    check_tracing(s)  # missing OpenTelemetry packages: one clear line now, not a traceback per worker
    db = _database()
    if s.is_embedded:
        from sideline.storage.migrate import upgrade

        upgrade(db.engine)  # embedded installs migrate themselves; servers use `sideline db upgrade`
    _require_schema(db)
    host = host or s.host
    port = port or s.port
    typer.echo(f"Sideline {__version__} on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run("sideline.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                reload=reload, log_config=None, proxy_headers=True, ws_per_message_deflate=s.ws_compression,
                access_log=False)  # sideline.access logs each request with its route and request id


@app.command()
def worker(queues: Optional[str] = typer.Option(None, help="Comma-separated queues to consume "
                                                           "(default: SIDELINE_WORKER_QUEUES, all of them)"),
           concurrency: Optional[int] = typer.Option(None, min=1, max=256,
                                                     help="Jobs run at once (default: SIDELINE_JOB_WORKERS)"),
           heartbeat: Optional[float] = typer.Option(None, help="Seconds between job heartbeats; a job silent "
                                                                "for 1.5 of them is requeued (default: "
                                                                "SIDELINE_JOB_HEARTBEAT_SECONDS)")) -> None:
    """Run a background job worker (Celery over SIDELINE_REDIS_URL)."""
    from sideline.jobs.worker import WorkerError, run_worker
    from sideline.observability import start_worker_observability

    # Job metrics are recorded in this process; SIDELINE_WORKER_METRICS_PORT exposes them.
    start_worker_observability(settings())
    try:
        code = run_worker(settings(), queues=queues, concurrency=concurrency, heartbeat=heartbeat)
    except WorkerError as exc:
        fail(str(exc))
    raise typer.Exit(code)


# --- Operations: backup, restore, migrate-to (sideline.ops) ---------------------------------

def _ops_failure(action: str, exc: Exception) -> None:
    from sideline.ops import OpsError, describe

    fail(str(exc) if isinstance(exc, OpsError) else f"{action} failed: {describe(exc)}")


@app.command()
def backup(path: Path = typer.Argument(..., help="Archive to write, e.g. sideline-2026-11-23.tar.gz")) -> None:
    """Write every table and blob to one portable .tar.gz (SQLite or PostgreSQL, local or S3)."""
    from sideline.ops.backup import create_backup

    s = settings()
    typer.echo(f"backing up to {path}")
    try:
        manifest = create_backup(s, path, echo=typer.echo)
    except Exception as exc:
        _ops_failure("backup", exc)
        raise
    rows = sum(t["rows"] for t in manifest["tables"])
    typer.echo(f"backup written: {path} ({rows} rows, {len(manifest['blobs'])} blobs, "
               f"schema revision {manifest['alembic_revision']})")


@app.command()
def restore(path: Path = typer.Argument(..., help="Archive written by `sideline backup`"),
            force: bool = typer.Option(False, "--force", help="Replace the contents of a non-empty installation")
            ) -> None:
    """Restore a backup into an empty (or, with --force, replaced) database and blob store."""
    from sideline.ops.backup import restore_backup

    s = settings()
    try:
        manifest = restore_backup(s, path, force=force, echo=typer.echo)
    except Exception as exc:
        _ops_failure("restore", exc)
        raise
    rows = sum(t["rows"] for t in manifest["tables"])
    typer.echo(f"restored {rows} rows and {len(manifest['blobs'])} blobs from {path}")


@app.command("migrate-to")
def migrate_to(database_url: str = typer.Option(..., "--database-url", help="postgresql+psycopg://user:pw@host/db"),
               blob_url: Optional[str] = typer.Option(None, "--blob-url", help="e.g. s3://bucket/prefix "
                                                      "[default: keep the current blob store]"),
               s3_endpoint_url: Optional[str] = typer.Option(None, "--s3-endpoint-url",
                                                             help="For MinIO and other S3-compatible stores"),
               s3_region: Optional[str] = typer.Option(None, "--s3-region")) -> None:
    """Move this installation to PostgreSQL (and S3): copy, verify, print the settings to use next."""
    from sideline.ops.transfer import migrate_to as run, target_settings

    source = settings()
    try:
        target = target_settings(source, database_url, blob_url, s3_endpoint_url, s3_region)
        report = run(source, target, echo=typer.echo)
    except Exception as exc:
        _ops_failure("migrate-to", exc)
        raise
    typer.echo(f"done: {sum(report.rows.values())} rows and {report.blobs} blobs copied and verified.")
    typer.echo("Stop this installation and start the server and workers with:")
    for line in report.settings:
        typer.echo(f"  {line}")


@app.command("cleanup-uploads")
def cleanup_uploads_command(older_than_hours: float = typer.Option(24.0, min=0.0, help="Age of unfinished uploads to remove")) -> None:
    """Remove uploads that were abandoned or failed (run daily, e.g. from cron)."""
    from sideline.storage.uploads import cleanup_uploads
    from sideline.services import build_services

    s = settings()
    _require_schema(_database())
    services = build_services(s, start_runner=False)
    try:
        removed = cleanup_uploads(services, older_than_hours)
    finally:
        services.close()
    typer.echo(f"removed {removed} unfinished upload(s) older than {older_than_hours:g} h")


@app.command()
def openapi() -> None:
    """Print the OpenAPI document (used to generate the web app's typed client)."""
    from sideline.api.app import create_app

    typer.echo(json.dumps(create_app(settings()).openapi(), indent=2))


def main() -> None:
    try:
        app()
    except ConfigurationError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(2)


if __name__ == "__main__":
    main()

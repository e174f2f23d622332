"""Command-line commands: `flask seed-demo`, `flask create-user`, `flask rq-worker`,
`flask sla-check`, `flask dispatch-today`, `flask fail-stale-runs`, `flask schedule-jobs`."""

from __future__ import annotations

import click
from flask import Flask, current_app

from app.database import db
from app.models import Role


def register_commands(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(rq_worker)
    app.cli.add_command(sla_check)
    app.cli.add_command(dispatch_today)
    app.cli.add_command(fail_stale_runs)
    app.cli.add_command(schedule_jobs)


@click.command("seed-demo")
@click.option("--seed", default=2026, show_default=True, help="Random seed (same seed, same data)")
@click.option("--start", "start_day", default=None, help="First working day (YYYY-MM-DD)")
@click.option(
    "--today/--no-today",
    default=True,
    show_default=True,
    help="Also seed routes under way, past weeks of ratings and a published day",
)
@click.option(
    "--if-empty",
    is_flag=True,
    help="When the database already holds data, keep it and print the demo accounts",
)
def seed_demo(seed: int, start_day: str | None, today: bool, if_empty: bool) -> None:
    """Fill an empty database with a reproducible Shanghai demo dataset (never in production)."""
    import datetime as dt

    if current_app.extensions["settings"].is_production:
        # Demo accounts have published passwords: they must never exist in production.
        raise click.ClickException("seed-demo refuses to run with APP_ENV=production")

    from app.demo import existing_summary, is_seeded, seed_demo_data
    from app.errors import AppError

    if if_empty and is_seeded(db.session):
        click.echo(existing_summary(db.session).describe())
        return
    first = dt.date.fromisoformat(start_day) if start_day else None
    try:
        summary = seed_demo_data(
            db.session,
            seed=seed,
            first_day=first,
            under_way_today=today,
            history_weeks=8 if today else 0,
            publish_first_day=today,
        )
    except AppError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(summary.describe())


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.password_option()
def create_user(email: str, name: str, role: str, password: str) -> None:
    """Create a user account."""
    from app.services.accounts import create_user as create

    user = create(db.session, email=email, name=name, password=password, role=Role(role))
    db.session.commit()
    click.echo(f"created {user.role} {user.email} (id {user.id})")


@click.command("rq-worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty")
def rq_worker(burst: bool) -> None:
    """Run an rq worker for this app's queue (needs REDIS_URL)."""
    from rq import Worker
    from sqlalchemy.orm import configure_mappers

    from app.jobs import connect, queue
    from app.jobs.warmup import warm_planner

    settings = current_app.extensions["settings"]
    connection = connect(settings)
    worker = Worker(
        [queue(settings, connection)],
        connection=connection,
        serializer=queue(settings, connection).serializer,
    )
    warm_planner()  # before taking a job: no solve pays for loading the planner
    # The ORM's mappers are set up on first use; done here, before the worker forks a work
    # horse per job, no job sets them up again.
    configure_mappers()
    worker.work(burst=burst)


@click.command("sla-check")
def sla_check() -> None:
    """Run the SLA check once: re-time today's routes, warn, escalate breaches."""
    from app.services.sla.check import run_check

    result = run_check(db.session, current_app.extensions["settings"])
    db.session.commit()
    click.echo(
        f"checked {result.checked_visits} visits and {result.checked_complaints} complaints: "
        f"{len(result.warnings)} new warnings, {len(result.breaches)} new breaches"
    )


@click.command("dispatch-today")
def dispatch_today() -> None:
    """Start the day: today's scheduled visits become dispatched (cron without Redis)."""
    from app.jobs.day_start import dispatch_today as job

    ids = job()
    click.echo(f"dispatched {len(ids)} visit(s)" + (f": {', '.join(map(str, ids))}" if ids else ""))


@click.command("fail-stale-runs")
def fail_stale_runs() -> None:
    """Fail optimizer runs whose solving process stopped beating (cron without Redis)."""
    from app.jobs.runs import fail_stale

    ids = fail_stale()
    click.echo(f"failed {len(ids)} stale run(s)" + (f": {', '.join(map(str, ids))}" if ids else ""))


@click.command("schedule-jobs")
@click.option("--run", "run_scheduler", is_flag=True, help="Also run the scheduler loop")
def schedule_jobs(run_scheduler: bool) -> None:
    """Register the periodic jobs (SLA check, day start, stale runs...) with rq-scheduler."""
    from app.jobs.periodic import register_periodic_jobs, scheduler_for

    settings = current_app.extensions["settings"]
    if settings.redis_url is None:
        raise click.ClickException(
            "REDIS_URL is not set: run `flask sla-check`, `flask dispatch-today` and "
            "`flask fail-stale-runs` from cron instead (the board also runs the SLA check when "
            "it loads; a run's page fails it when its heartbeat stopped)"
        )
    scheduler = scheduler_for(settings)
    for job in register_periodic_jobs(scheduler, settings):
        click.echo(f"scheduled {job.func_name} every {job.meta.get('interval')} s as {job.id}")
    if run_scheduler:
        scheduler.run()

"""The composition root: settings in, a wired application out.

Nothing else reads the environment. Settings:
``CASELEDGER_DATABASE_URL`` (see adapters.persistence.database), ``CASELEDGER_PROFILES_DIR``
(extra or edited policy profiles), ``CASELEDGER_CALENDAR_OVERRIDES`` (a TOML
file of newly published years and local closures), ``CASELEDGER_SECRET_KEY``
(signs bearer tokens; by default a random key kept in ``var/secret_key``),
``CASELEDGER_TOKEN_TTL_MINUTES`` (default 480), ``CASELEDGER_MAX_BODY_BYTES``
(default 1 MiB) and ``CASELEDGER_IDEMPOTENCY_LEASE_SECONDS`` (default 120: how
long an ``Idempotency-Key`` stays claimed by a request that never answered;
longer than any request may live, gunicorn's worker timeout being 30 s).
The Merkle log's checkpoints: ``CASELEDGER_LOG_KEY_FILE`` (the log's C2SP
signing key; by default ``var/log_signing.key``, created on first start),
``CASELEDGER_LOG_ORIGIN`` (the name a new key gets, which is the log's origin;
default ``caseledger.local/log``) and ``CASELEDGER_CHECKPOINT_INTERVAL_SECONDS``
(default 300: how often the read-model process signs one while the log grows).
Reminders (预警): ``CASELEDGER_SMTP_URL`` (``smtp://host:port``: the mail relay; unset, no mail is
sent and the notices are shown in the workspace only), ``CASELEDGER_MAIL_FROM`` (the sender's
address), ``CASELEDGER_PUBLIC_URL`` (the workspace's address, for the links in mails),
``CASELEDGER_NOTICE_POLL_SECONDS`` (default 1: how often the reminder process looks for deadlines
entering their warning window and for mail to send) and ``CASELEDGER_MAIL_RETRY_SECONDS`` (default 2:
the first wait after a failed attempt, doubled at each failure up to five minutes) and
``CASELEDGER_MAIL_LEASE_SECONDS`` (default 60; SQLite only: how long a mail taken by a sender that then
died waits before another sender takes it).
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import overload
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from adapters.auth.login_log import SQLLoginLog
from adapters.auth.passwords import Argon2Hasher
from adapters.calendar.official import CalendarSource
from adapters.mail.smtp import SmtpMailer, SmtpURLError, parse_smtp_url
from adapters.persistence.append_only import protect_recorder, protect_table
from adapters.persistence.database import Database, database_from_url, private_directory, schema_lock
from adapters.persistence.fast_read import case_feed, notification_reader
from adapters.persistence.idempotency import SQLIdempotencyStore
from adapters.persistence.pg_pool import GuardedPool
from adapters.persistence.side_tables import SideTables
from adapters.profiles.files import FileProfileCatalogue
from adapters.tlog.checkpoints import DEFAULT_KEY_FILE, DEFAULT_ORIGIN, Checkpoints, load_or_create_key
from adapters.tlog.findings import Verifications
from adapters.views.factory import Views
from domain.accountability.process import AccountabilityProcess
from domain.accountability.record import UnitAccountability
from domain.appeals.service import AppealService
from domain.approvals.service import ApprovalService
from domain.directory.records import PasswordHasher, Unit, User
from domain.directory.service import DirectoryService
from domain.notices import DEFAULT_WARNING_WORKING_DAYS
from domain.time_source import TimeSource, utc_now
from projections.accountability.process import ProcessFollower
from projections.accountability.trail import AccountabilityTrail
from projections.audit_trail import AuditTrail, TrailFollower
from projections.base import ReadModel
from projections.cases.case_list import CaseList
from projections.cases.deadline_watch import DeadlineWatch, ReadModelBehind
from projections.feed import CASE_KINDS, CaseFeed
from projections.follow import follow
from projections.ledger.appeals import Ledger
from projections.notices import NoticeDeriver, NoticeProcess
from projections.runner import BatchRunner
from projections.tlog import MerkleLog, Source
from web.auth import TokenService


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    profiles_dir: Path | None = None
    calendar_overrides: Path | None = None
    secret_key: str | None = None
    token_ttl: timedelta = timedelta(hours=8)
    max_body_bytes: int = 1024 * 1024
    idempotency_lease: timedelta = timedelta(seconds=120)
    cjk_font: Path | None = None
    log_key_file: Path | None = None
    log_origin: str | None = None
    checkpoint_interval: timedelta = timedelta(seconds=300)
    # Reverse proxies in front of the service whose X-Forwarded-For/-Proto/-Host are believed: the
    # client address of the login log, and HTTPS for the workspace's Secure session cookie.
    trusted_proxies: int = 0
    # Read-your-writes: how long a read waits for the read models (and the Merkle log, and the
    # accountability process) to reach the log's head as of the request, before it answers from what
    # they hold. 0 answers at once: for a deployment, or a test, in which nothing follows the log.
    read_wait: float = 3.0
    # Reminders (预警): the mail relay (None: no mail), the sender, the workspace's public address.
    smtp_url: str | None = None
    mail_from: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    notice_poll: float = 1.0
    mail_retry: float = 2.0
    mail_lease: float = 60.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """The settings, or ``SettingsError`` naming every variable that is not what it must be."""
        problems: list[str] = []

        def path(name: str) -> Path | None:
            return Path(environ[name]) if environ.get(name) else None

        @overload
        def number(name: str, default: str, kind: type[int] = int, least: float = 1) -> int: ...
        @overload
        def number(name: str, default: str, kind: type[float], least: float = 1) -> float: ...
        def number(name: str, default: str, kind: type = int, least: float = 1) -> float:
            text = environ.get(name) or default
            try:
                value = kind(text)
            except ValueError:
                value = None
            if value is None or not value >= least:
                problems.append(
                    f"{name}={text!r} must be a {'whole ' if kind is int else ''}number of at least {least}"
                )
                return kind(default)
            return value

        settings = cls(
            database_url=environ.get("CASELEDGER_DATABASE_URL") or None,
            profiles_dir=path("CASELEDGER_PROFILES_DIR"),
            calendar_overrides=path("CASELEDGER_CALENDAR_OVERRIDES"),
            secret_key=environ.get("CASELEDGER_SECRET_KEY") or None,
            token_ttl=timedelta(minutes=number("CASELEDGER_TOKEN_TTL_MINUTES", "480")),
            max_body_bytes=number("CASELEDGER_MAX_BODY_BYTES", str(1024 * 1024)),
            idempotency_lease=timedelta(seconds=number("CASELEDGER_IDEMPOTENCY_LEASE_SECONDS", "120", float)),
            cjk_font=path("CASELEDGER_CJK_FONT"),
            log_key_file=path("CASELEDGER_LOG_KEY_FILE"),
            log_origin=environ.get("CASELEDGER_LOG_ORIGIN") or None,
            checkpoint_interval=timedelta(seconds=number("CASELEDGER_CHECKPOINT_INTERVAL_SECONDS", "300", float)),
            trusted_proxies=number("CASELEDGER_TRUSTED_PROXIES", "0", least=0),
            read_wait=number("CASELEDGER_READ_WAIT_SECONDS", "3", float, least=0),
            smtp_url=environ.get("CASELEDGER_SMTP_URL") or None,
            mail_from=environ.get("CASELEDGER_MAIL_FROM") or None,
            public_url=environ.get("CASELEDGER_PUBLIC_URL") or "http://127.0.0.1:8000",
            notice_poll=number("CASELEDGER_NOTICE_POLL_SECONDS", "1", float, least=0.01),
            mail_retry=number("CASELEDGER_MAIL_RETRY_SECONDS", "2", float, least=0.01),
            mail_lease=number("CASELEDGER_MAIL_LEASE_SECONDS", "60", float, least=1),
        )
        if settings.smtp_url:
            try:
                parse_smtp_url(settings.smtp_url)
            except SmtpURLError as exc:
                problems.append(f"CASELEDGER_SMTP_URL={exc}")
        if problems:
            raise SettingsError("; ".join(problems))
        return settings


class SettingsError(ValueError):
    """A setting (an environment variable) that cannot be used; the message names it."""


@dataclass
class Container:
    settings: Settings
    database: Database
    calendars: CalendarSource
    profiles: FileProfileCatalogue
    directory: DirectoryService
    appeals: AppealService
    approvals: ApprovalService  # recorded in the appeals' log: one log of cases
    tokens: TokenService
    idempotency: SQLIdempotencyStore
    views: Views
    read_models: dict[str, ReadModel]
    accountability: AccountabilityProcess
    follower: ProcessFollower
    accountability_trail: AccountabilityTrail
    side_tables: SideTables  # the idempotency keys' and the login log's one pool
    merkle: MerkleLog  # every event of every application, one leaf each
    checkpoints: Checkpoints
    trail_follower: TrailFollower  # the audit trail's rows of the directory's and the accountability record's acts
    verifications: Verifications  # the verifications run, the latest read by the case pages
    clock: TimeSource = utc_now  # the one time source: every route, service, view and report asks it
    notices: NoticeProcess | None = None  # reminders (预警): derived from the log, kept in an outbox, mailed

    def feed(self) -> CaseFeed:
        """The appeal log for the read models, read and decoded the faster way."""
        return case_feed(self.appeals)

    def runner(self, batch_size: int = 5000) -> BatchRunner:
        return BatchRunner(self.feed(), list(self.read_models.values()), batch_size)

    def database_head(self, timeout: float) -> int:
        """The head of the event log; on PostgreSQL, after waiting at most ``timeout`` for a connection."""
        recorder = self.appeals.recorder
        assert isinstance(recorder, SQLiteApplicationRecorder | PostgresApplicationRecorder)  # the database's kinds
        pool = getattr(recorder.datastore, "pool", None)
        if isinstance(pool, GuardedPool):
            pool.probe(timeout)
        return self.appeals.recorder.max_notification_id() or 0

    def wait_for_views(self, timeout: float | None = None, only: tuple[str, ...] | None = None) -> bool:
        """Read-your-writes: waits until every read model (or those named ``only``) has caught up with
        the log's head as of now, or ``timeout`` (default: the ``read_wait`` setting) has passed."""
        timeout = self.settings.read_wait if timeout is None else timeout
        head = self.appeals.recorder.max_notification_id() or 0
        deadline = time.monotonic() + timeout
        models = [m for name, m in self.read_models.items() if only is None or name in only]
        while min(m.view.position() for m in models) < head:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def wait_for_accountability(self, timeout: float | None = None) -> bool:
        """Read-your-writes for the accountability record: waits until the process (run beside the
        server, never by a request) has handled every appeal event it handles, and its trail too."""
        deadline = time.monotonic() + (self.settings.read_wait if timeout is None else timeout)
        while self.follower.pending() or self.accountability_trail.pending():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def wait_for_notices(self, timeout: float | None = None) -> bool:
        """Read-your-writes for the reminders: their process (run beside the server) has derived what
        the log held when the call was made."""
        assert self.notices is not None
        head = self.appeals.recorder.max_notification_id() or 0
        deadline = time.monotonic() + (self.settings.read_wait if timeout is None else timeout)
        while self.notices.view.position() < head:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def wait_for_merkle(self, timeout: float | None = None) -> bool:
        """Read-your-writes for the Merkle log: waits until every event recorded before the call is a
        leaf (the read-model process makes them so, never a request)."""
        return self.merkle.wait(self.settings.read_wait if timeout is None else timeout)

    def run_merkle(self) -> int:
        """One pass of the Merkle log, then a checkpoint if one is due; returns what they did."""
        return self.merkle.run_once() + self.checkpoints.issue_if_due()

    def run_accountability(self) -> int:
        """One pass of the accountability process, then of its trail, then of the audit trail's rows of
        the directory's and the accountability record's acts; returns what they handled."""
        return self.follower.run_once() + self.accountability_trail.run_once() + self.trail_follower.run_once()

    def wait_for_trail(self, timeout: float | None = None) -> bool:
        """Read-your-writes for the audit trail: its rows of every log (the cases', the directory's, the
        accountability record's) have caught up with what was recorded before the call."""
        deadline = time.monotonic() + (self.settings.read_wait if timeout is None else timeout)
        if not self.wait_for_views(timeout, only=("audit_trail",)):
            return False
        while self.trail_follower.pending():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def follow(self, stop: threading.Event, poll: float = 0.1, batch_size: int = 1000, notices: bool = True) -> None:
        """Runs every read model, the accountability process and (unless ``notices`` is false) the
        reminders' process until ``stop`` is set."""
        process = threading.Thread(
            target=follow, args=(self.run_accountability, stop, poll, "accountability process"), daemon=True
        )
        process.start()
        sequencer = threading.Thread(target=follow, args=(self.run_merkle, stop, poll, "merkle log"), daemon=True)
        sequencer.start()
        reminders = None
        if notices:
            reminders = threading.Thread(target=self.follow_notices, args=(stop,), daemon=True)
            reminders.start()
        self.runner(batch_size).run_forever(stop, poll)
        process.join()
        sequencer.join()
        if reminders is not None:
            reminders.join()

    def follow_notices(self, stop: threading.Event) -> None:
        """The reminders' process (``projections.notices``): derives and sends until ``stop`` is set."""
        assert self.notices is not None
        follow(self.notices.run_once, stop, self.settings.notice_poll, "reminder process")

    def deadline_watch(self, run_index: bool = False) -> DeadlineWatch:
        """The sweep over the case list's deadline index, which must have reached the log's head.

        Web workers only read: they wait for the read-model process to index what was recorded.
        An operator's command (``run_index``) runs the index itself, server or no server.
        """
        index = CaseList(self.views.get("case_list"), self.calendars.for_jurisdiction)
        runner = BatchRunner(self.feed(), [index])

        def catch_up() -> None:
            head = self.appeals.recorder.max_notification_id() or 0
            for _ in range(500):  # another runner may hold the batch we need: give it time
                if run_index:
                    runner.run_once()
                if index.view.position() >= head:
                    return
                time.sleep(0.02)
            raise ReadModelBehind(
                "the deadline index did not catch up with the event log; is the "
                "read-model process running? (caseledger projections run)"
            )

        return DeadlineWatch(self.appeals, index.view, catch_up)

    def close(self) -> None:
        self.accountability.close()
        self.approvals.close()
        self.appeals.close()
        self.directory.close()
        self.side_tables.close()
        self.views.close()


def bootstrap(
    settings: Settings | None = None, clock: TimeSource = utc_now, hasher: PasswordHasher | None = None
) -> Container:
    settings = settings or Settings.from_env()
    database = database_from_url(settings.database_url)
    calendars = CalendarSource(settings.calendar_overrides)
    profiles = FileProfileCatalogue([settings.profiles_dir] if settings.profiles_dir else [])
    with schema_lock(database):
        return _wire(settings, database, calendars, profiles, clock, hasher)


def _wire(settings, database, calendars, profiles, clock, hasher) -> Container:
    with ExitStack() as opened:  # a database lost half-way: close what was opened, for the next attempt
        side_tables = SideTables(database)
        opened.callback(side_tables.close)
        directory = DirectoryService(
            database.env, hasher=hasher or Argon2Hasher(), logins=SQLLoginLog(side_tables), clock=clock
        )
        opened.callback(directory.close)
        protect(directory)

        def unit_exists(code: str) -> bool:
            unit = directory.unit(code)
            return unit is not None and unit.active

        appeals = AppealService(
            database.env, profiles=profiles, calendars=calendars.for_jurisdiction, clock=clock, unit_exists=unit_exists
        )
        opened.callback(appeals.close)
        protect(appeals)  # approvals record in the appeals' log
        approvals = ApprovalService(
            database.env,
            profiles=profiles,
            calendars=calendars.for_jurisdiction,
            clock=clock,
            unit_exists=unit_exists,
            store=appeals,
        )
        opened.callback(approvals.close)
        tokens = TokenService(settings.secret_key or local_secret(), settings.token_ttl, clock)
        views = Views(database)
        opened.callback(views.close)
        read_models: dict[str, ReadModel] = {
            "case_list": CaseList(views.get("case_list"), calendars.for_jurisdiction),
            "ledger": Ledger(views.get("ledger"), calendars.for_jurisdiction),
            "audit_trail": AuditTrail(views.get("audit_trail")),
        }
        accountability = AccountabilityProcess(
            database.env, appeals=appeals, profiles=profiles, clock=clock, calendars=calendars.for_jurisdiction
        )
        opened.callback(accountability.close)
        protect(accountability)
        idempotency = SQLIdempotencyStore(side_tables, settings.idempotency_lease)
        merkle = MerkleLog(views.get("merkle_log"), merkle_sources(database, appeals, directory, accountability))
        signer = load_or_create_key(settings.log_key_file or DEFAULT_KEY_FILE, settings.log_origin or DEFAULT_ORIGIN)
        if settings.log_origin and signer.name != settings.log_origin:
            raise SettingsError(
                f"CASELEDGER_LOG_ORIGIN={settings.log_origin!r} but the log's key is named "
                f"{signer.name!r}; the key's name is the log's origin"
            )
        checkpoints = Checkpoints(merkle, views.get("merkle_log"), signer, settings.checkpoint_interval, clock)
        trail_follower = TrailFollower(views.get("audit_trail"), directory, accountability, case_number(appeals))
        notices = reminders(settings, views, appeals, directory, calendars, profiles, clock)
        opened.pop_all()
    return Container(
        settings,
        database,
        calendars,
        profiles,
        directory,
        appeals,
        approvals,
        tokens,
        idempotency,
        views,
        read_models,
        accountability,
        ProcessFollower(accountability, appeals),
        AccountabilityTrail(views.get("accountability_trail"), accountability),
        side_tables,
        merkle,
        checkpoints,
        trail_follower,
        Verifications(side_tables),
        clock,
        notices,
    )


def reminders(settings, views, appeals, directory, calendars, profiles, clock) -> NoticeProcess:
    """The reminders' process: its own runner over the case log, and the relay if one is set."""

    def window_of(profile_id: str) -> int:
        try:
            record = profiles.get(profile_id, kind=None).record
        except KeyError:
            return DEFAULT_WARNING_WORKING_DAYS
        return int(record.get("warning_working_days", DEFAULT_WARNING_WORKING_DAYS))

    view = views.get("notices")
    if hasattr(view, "claim_lease"):  # SQLite's: no row locks, a claim is a lease
        view.claim_lease = timedelta(seconds=settings.mail_lease)
    # Without a relay the notices are the workspace's alone: no mail waits for a server that is not there.
    recipients = directory.addresses_of if settings.smtp_url else (lambda unit: [])
    deriver = NoticeDeriver(view, calendars.for_jurisdiction, window_of, recipients, clock)
    runner = BatchRunner(case_feed(appeals), [deriver], 1000)
    mailer = SmtpMailer(settings.smtp_url, settings.mail_from, settings.public_url) if settings.smtp_url else None
    return NoticeProcess(deriver, runner.run_once, mailer, clock, retry_base=settings.mail_retry)


def case_number(appeals: AppealService) -> Callable[[UUID], str | None]:
    """A case's number by its id, from its first event (None: no such case)."""

    def case_no(case_id: UUID) -> str | None:
        try:
            return appeals.repository.get(case_id, version=1).case_no
        except AggregateNotFoundError:
            return None

    return case_no


# Which application records the events of each topic, for a log the applications share (SQLite).
_APPLICATION_TOPICS = (
    *((f"{kind.TOPIC}.", AppealService.name) for kind in CASE_KINDS),
    (f"{Unit.TOPIC}.", DirectoryService.name),
    (f"{User.TOPIC}.", DirectoryService.name),
    (f"{UnitAccountability.TOPIC}.", AccountabilityProcess.name),
)


def protect(app) -> None:
    """The application's events, and the snapshots it loads from, refuse UPDATE, DELETE and TRUNCATE:
    an edited snapshot would change what is loaded without touching an event."""
    protect_recorder(app.recorder)
    if app.snapshots is not None:
        protect_table(
            app.snapshots.recorder, app.snapshots.recorder.events_table_name, rule="stored snapshots are append-only"
        )


def merkle_sources(database: Database, *apps) -> list[Source]:
    """The notification logs the Merkle log reads: on PostgreSQL one table per application; on a
    SQLite file one table that every application shares, whose events the topic attributes."""

    def head(recorder) -> Callable[[], int]:
        return lambda: recorder.max_notification_id() or 0

    if database.kind == "sqlite" and database.env["SQLITE_DBNAME"] != ":memory:":
        first = apps[0]

        def application(topic: str) -> str:
            return next((name for prefix, name in _APPLICATION_TOPICS if topic.startswith(prefix)), first.name)

        return [Source(first.name, notification_reader(first.recorder), head(first.recorder), application)]
    return [
        Source(app.name, notification_reader(app.recorder), head(app.recorder), _recorded_by(app.name)) for app in apps
    ]


def _recorded_by(name: str) -> Callable[[str], str]:
    """``Source.application`` of a log that the application ``name`` alone records in: every event is its."""
    return lambda topic: name


def local_secret(path: Path = Path("var/secret_key")) -> str:
    """A random signing key kept beside the embedded database, for the quick start."""
    if not path.exists():
        private_directory(path.parent)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)  # atomic: of several workers starting at once, one key wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()

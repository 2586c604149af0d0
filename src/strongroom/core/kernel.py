"""The kernel assembled once per process: store, clock, root of trust, IAM, scheduler, audit, events."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from strongroom.core.audit import AuditTrail
from strongroom.core.cache import Caches
from strongroom.core.clock import Clock
from strongroom.core.crypto import RootOfTrust, open_root_of_trust
from strongroom.core.events import EventBus
from strongroom.core.iam.authorizer import Authorizer
from strongroom.core.iam.credentials import Credentials
from strongroom.core.metering import release_shared_meter
from strongroom.core.scheduler import Scheduler
from strongroom.core.store import Database


@dataclass
class Kernel:
    """What every service handler can reach through its RequestContext."""

    db: Database
    clock: Clock
    root: RootOfTrust
    credentials: Credentials
    authorizer: Authorizer
    scheduler: Scheduler
    audit: AuditTrail
    events: EventBus
    caches: Caches
    data_dir: Path
    dev: bool
    default_region: str

    @classmethod
    def open(
        cls,
        *,
        data_dir: Path,
        database_url: str,
        dev: bool,
        default_region: str,
        root_key_provider: str = "file",
    ) -> Kernel:
        data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(database_url)
        caches = Caches(data_dir)
        clock = Clock(data_dir / "dev-clock" if dev else None, caches.board)
        root = open_root_of_trust(root_key_provider, data_dir)
        # A scheduled job of kind "<svc>/..." changes <svc>'s data: its readers must reload.
        scheduler = Scheduler(db, clock, on_job_done=lambda kind: caches.changed(kind.split("/", 1)[0]))
        authorizer = Authorizer(db, caches.named("iam"))
        return cls(
            db=db,
            clock=clock,
            root=root,
            credentials=Credentials(db, root, clock, dev=dev, cache=caches.named("iam")),
            authorizer=authorizer,
            scheduler=scheduler,
            audit=AuditTrail(db),
            events=EventBus(
                db, clock, root, scheduler, authorizer, data_dir, rules_cache=caches.named("events")
            ),
            caches=caches,
            data_dir=data_dir,
            dev=dev,
            default_region=default_region,
        )

    def start_background(self) -> None:
        # "AWS API Call via CloudTrail" events come from the audit records, off the request path.
        self.audit.subscribe(self.events.publish_api_call)
        self.audit.start()
        self.scheduler.start()
        self.events.start()

    def close(self) -> None:
        self.scheduler.stop()
        self.events.stop()
        self.audit.stop()
        release_shared_meter(self.db)  # the counts since its last pass, or a shutdown loses them
        self.db.dispose()

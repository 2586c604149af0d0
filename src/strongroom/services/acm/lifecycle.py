"""A certificate's life after the request: validation, issuance, managed renewal, expiry, revocation.

Scheduled jobs (all keyed by the certificate ARN):

- ``acm/validate``: DNS checks every five minutes until every domain validates (then issue) or
  72 hours pass (VALIDATION_TIMED_OUT); for e-mail validation only the deadline.
- ``acm/renew``: from 60 days before NotAfter, for eligible ACM-issued certificates: a silent
  renewal when DNS validation still holds, else PENDING_VALIDATION and "Renewal Action Required".
- ``acm/expiry``: daily "Approaching Expiration" events from DaysBeforeExpiry days before
  NotAfter, then EXPIRED.

Every function here runs inside the caller's write transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import Connection, delete, insert, select, update

from strongroom.core.scheduler import Job, Scheduler
from strongroom.services.acm import authority, dns_check, keys, mail, notifications, records
from strongroom.services.acm.tables import acm_account_settings, acm_email_approvals, acm_serials

if TYPE_CHECKING:
    from strongroom.core.kernel import Kernel

VALIDITY = timedelta(days=395)  # ACM's public certificates: 13 months
NOT_BEFORE_BACKDATE = timedelta(hours=1)
RENEWAL_WINDOW = timedelta(days=60)
VALIDATION_TIMEOUT = timedelta(hours=72)
DNS_CHECK_INTERVAL = timedelta(minutes=5)
RENEWAL_RECHECK = timedelta(hours=1)
DEFAULT_DAYS_BEFORE_EXPIRY = 45
MAX_DAYS_BEFORE_EXPIRY = 45
APPROVAL_LIFETIME = timedelta(hours=72)

VALIDATE, RENEW, EXPIRY = "acm/validate", "acm/renew", "acm/expiry"
JOB_KINDS = (VALIDATE, RENEW, EXPIRY)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Engine:
    """The kernel and the CA hierarchy, with everything that moves a certificate along."""

    kernel: Kernel
    hierarchy: authority.Hierarchy

    def register(self, scheduler: Scheduler) -> None:
        scheduler.register(VALIDATE, self._validate_job)
        scheduler.register(RENEW, self._renew_job)
        scheduler.register(EXPIRY, self._expiry_job)

    # -- issuance --------------------------------------------------------------------------

    def issue(self, conn: Connection, record: records.Certificate, now: datetime, *, renewal: bool) -> None:
        """Sign a new certificate for `record` (a new key, a new serial) and make it current."""
        key = keys.generate(record.key_algorithm)
        # Backdated an hour, as public CAs do, so clients with a slow clock accept it at once.
        not_before = now.replace(microsecond=0) - NOT_BEFORE_BACKDATE
        cert = authority.issue_leaf(
            self.hierarchy,
            domain_name=record.domain_name,
            names=record.sans,
            public_key=key.public_key(),
            not_before=not_before,
            not_after=not_before + VALIDITY,
            client_auth_only=record.options.get("CertificateUsage") == "CLIENT_AUTH_ONLY",
        )
        self.install(conn, record, cert, key, self.hierarchy.chain_pem())
        conn.execute(
            insert(acm_serials).values(
                ca_id=self.hierarchy.issuing.ca_id,
                serial=record.serial,
                arn=record.arn,
                not_after=record.not_after,
            )
        )
        record.status = "ISSUED"
        record.failure_reason = None
        record.validation_deadline = None
        if renewal:
            pending = record.renewal or {}
            record.renewal = {
                "RenewalStatus": "SUCCESS",
                "Validations": [
                    {**v, "ValidationStatus": "SUCCESS"}
                    for v in pending.get("Validations", record.validations)
                ],
                "UpdatedAt": now.isoformat(),
            }
            record.exported = False  # eligibility counts exports since the last renewal
        else:
            record.issued_at = now
            record.validations = [{**v, "ValidationStatus": "SUCCESS"} for v in record.validations]
        records.save(conn, record)
        Scheduler.cancel(conn, VALIDATE, record.arn)
        self.schedule_lifecycle(conn, record, now)
        detail = {
            "Action": "RENEWAL" if renewal else "ISSUANCE",
            **notifications.lifecycle_detail(record, now),
        }
        notifications.emit(self.kernel, conn, record, notifications.AVAILABLE, detail)

    def install(
        self,
        conn: Connection,
        record: records.Certificate,
        cert: x509.Certificate,
        key: keys.PrivateKey,
        chain_pem: str | None,
    ) -> None:
        """Put a certificate, its sealed key and chain on the record (issued or imported)."""
        from strongroom.services.acm import x509_facts

        record.certificate_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        record.chain_pem = chain_pem
        record.key_sealed = self.kernel.root.seal(
            keys.pkcs8_der(key), purpose=authority.KEY_PURPOSE, record=record.arn
        )
        record.serial = x509_facts.serial_hex(cert)
        record.not_before = cert.not_valid_before_utc
        record.not_after = cert.not_valid_after_utc

    def private_key(self, record: records.Certificate) -> keys.PrivateKey:
        assert record.key_sealed is not None
        der = self.kernel.root.open(record.key_sealed, purpose=authority.KEY_PURPOSE, record=record.arn)
        return keys.from_pkcs8_der(der)

    def schedule_lifecycle(self, conn: Connection, record: records.Certificate, now: datetime) -> None:
        assert record.not_after is not None
        if record.type == "AMAZON_ISSUED":
            Scheduler.schedule(conn, RENEW, record.arn, max(now, record.not_after - RENEWAL_WINDOW))
        else:
            Scheduler.cancel(conn, RENEW, record.arn)
        expiry_start = record.not_after - timedelta(days=MAX_DAYS_BEFORE_EXPIRY)
        Scheduler.schedule(conn, EXPIRY, record.arn, max(now, expiry_start))

    @staticmethod
    def cancel_jobs(conn: Connection, arn: str) -> None:
        for kind in JOB_KINDS:
            Scheduler.cancel(conn, kind, arn)

    # -- validation ------------------------------------------------------------------------

    def start_validation(self, conn: Connection, record: records.Certificate, now: datetime) -> list[Any]:
        """After a request: schedule the checks; returns the approval mails to send (EMAIL)."""
        record.validation_deadline = now + VALIDATION_TIMEOUT
        records.save(conn, record)
        if record.validation_method == "DNS":
            Scheduler.schedule(conn, VALIDATE, record.arn, now)
            return []
        Scheduler.schedule(conn, VALIDATE, record.arn, record.validation_deadline)
        return [self.new_approval(conn, record, v, now, renewal=False) for v in record.validations]

    def new_approval(
        self,
        conn: Connection,
        record: records.Certificate,
        validation: dict[str, Any],
        now: datetime,
        *,
        renewal: bool,
    ) -> tuple[mail.Approval, list[str]]:
        token = secrets.token_urlsafe(32)
        expires_at = now + APPROVAL_LIFETIME
        conn.execute(
            insert(acm_email_approvals).values(
                token_digest=token_digest(token),
                arn=record.arn,
                domain_name=validation["DomainName"],
                validation_domain=validation["ValidationDomain"],
                expires_at=expires_at,
            )
        )
        approval = mail.Approval(
            domain_name=validation["DomainName"],
            validation_domain=validation["ValidationDomain"],
            account_id=record.account_id,
            region=record.region,
            certificate_id=record.certificate_id,
            link=f"{authority.public_base_url()}/_strongroom/acm/approve?token={quote(token)}",
            expires_at=expires_at,
            renewal=renewal,
        )
        return approval, list(validation.get("ValidationEmails", []))

    def _validate_job(self, conn: Connection, job: Job) -> None:
        record = records.find(conn, job.key, for_update=True)
        if record is None or record.status != "PENDING_VALIDATION":
            return
        now = self.kernel.clock.now()
        if record.validation_method == "DNS":
            for validation in record.validations:
                if validation["ValidationStatus"] != "SUCCESS" and dns_check.cname_matches(
                    validation["ResourceRecord"]["Name"], validation["ResourceRecord"]["Value"]
                ):
                    validation["ValidationStatus"] = "SUCCESS"
            if all(v["ValidationStatus"] == "SUCCESS" for v in record.validations):
                self.issue(conn, record, now, renewal=False)
                return
        deadline = record.validation_deadline or now
        if now >= deadline:
            record.status = "VALIDATION_TIMED_OUT"
            record.validations = [
                {
                    **v,
                    "ValidationStatus": v["ValidationStatus"]
                    if v["ValidationStatus"] == "SUCCESS"
                    else "FAILED",
                }
                for v in record.validations
            ]
            records.save(conn, record)
            return
        records.save(conn, record)
        due = deadline if record.validation_method == "EMAIL" else min(deadline, now + DNS_CHECK_INTERVAL)
        Scheduler.schedule(conn, VALIDATE, record.arn, due)

    def approve(self, conn: Connection, token: str, now: datetime) -> tuple[str, records.Certificate | None]:
        """Approve the domain a mailed link stands for; returns (outcome, certificate)."""
        row = conn.execute(
            select(acm_email_approvals).where(acm_email_approvals.c.token_digest == token_digest(token))
        ).first()
        if row is None:
            return "unknown", None
        record = records.find(conn, row.arn, for_update=True)
        if record is None:
            return "unknown", None
        if row.approved_at is not None:
            return "already", record
        if now >= row.expires_at:
            return "expired", record
        conn.execute(
            update(acm_email_approvals)
            .where(acm_email_approvals.c.token_digest == row.token_digest)
            .values(approved_at=now)
        )
        renewing = (
            record.status == "ISSUED" and (record.renewal or {}).get("RenewalStatus") == "PENDING_VALIDATION"
        )
        validations = record.renewal["Validations"] if renewing and record.renewal else record.validations
        for validation in validations:
            if validation["DomainName"] == row.domain_name:
                validation["ValidationStatus"] = "SUCCESS"
        if not all(v["ValidationStatus"] == "SUCCESS" for v in validations):
            records.save(conn, record)
            return "approved", record
        if renewing:
            self.issue(conn, record, now, renewal=True)
        elif record.status == "PENDING_VALIDATION":
            self.issue(conn, record, now, renewal=False)
        else:
            records.save(conn, record)
        return "approved", record

    # -- renewal ---------------------------------------------------------------------------

    def start_renewal(self, conn: Connection, record: records.Certificate, now: datetime) -> None:
        """Renew at once when validation still holds, else ask the owner to act."""
        validations = [{**v, "ValidationStatus": "PENDING_VALIDATION"} for v in record.validations]
        if record.validation_method == "DNS":
            for validation in validations:
                rr = validation["ResourceRecord"]
                if dns_check.cname_matches(rr["Name"], rr["Value"]):
                    validation["ValidationStatus"] = "SUCCESS"
            if all(v["ValidationStatus"] == "SUCCESS" for v in validations):
                record.renewal = {"RenewalStatus": "PENDING_AUTO_RENEWAL", "Validations": validations}
                self.issue(conn, record, now, renewal=True)
                return
        record.renewal = {
            "RenewalStatus": "PENDING_VALIDATION",
            "Validations": validations,
            "UpdatedAt": now.isoformat(),
        }
        records.save(conn, record)
        if record.validation_method == "EMAIL":
            conn.execute(delete(acm_email_approvals).where(acm_email_approvals.c.arn == record.arn))
            for validation in validations:
                approval, recipients = self.new_approval(conn, record, validation, now, renewal=True)
                mail.send(approval, recipients)
        detail = {
            **notifications.lifecycle_detail(record, now),
            "RenewalStatus": "PENDING_VALIDATION",
        }
        notifications.emit(self.kernel, conn, record, notifications.RENEWAL_ACTION_REQUIRED, detail)
        Scheduler.schedule(conn, RENEW, record.arn, now + RENEWAL_RECHECK)

    def _renew_job(self, conn: Connection, job: Job) -> None:
        record = records.find(conn, job.key, for_update=True)
        if record is None or record.type != "AMAZON_ISSUED" or record.status != "ISSUED":
            return
        now = self.kernel.clock.now()
        assert record.not_after is not None
        if now >= record.not_after:
            return
        if not record.renewal_eligible:
            Scheduler.schedule(conn, RENEW, record.arn, min(record.not_after, now + timedelta(days=1)))
            return
        pending = (
            record.renewal if (record.renewal or {}).get("RenewalStatus") == "PENDING_VALIDATION" else None
        )
        if pending is None:
            self.start_renewal(conn, record, now)
            return
        if record.validation_method == "DNS":
            for validation in pending["Validations"]:
                rr = validation["ResourceRecord"]
                if validation["ValidationStatus"] != "SUCCESS" and dns_check.cname_matches(
                    rr["Name"], rr["Value"]
                ):
                    validation["ValidationStatus"] = "SUCCESS"
            if all(v["ValidationStatus"] == "SUCCESS" for v in pending["Validations"]):
                self.issue(conn, record, now, renewal=True)
                return
            records.save(conn, record)
        Scheduler.schedule(conn, RENEW, record.arn, min(record.not_after, now + RENEWAL_RECHECK))

    # -- expiry ----------------------------------------------------------------------------

    def days_before_expiry(self, conn: Connection, account_id: str, region: str) -> int:
        value = conn.execute(
            select(acm_account_settings.c.days_before_expiry).where(
                acm_account_settings.c.account_id == account_id, acm_account_settings.c.region == region
            )
        ).scalar()
        return int(value) if value is not None else DEFAULT_DAYS_BEFORE_EXPIRY

    def _expiry_job(self, conn: Connection, job: Job) -> None:
        record = records.find(conn, job.key, for_update=True)
        if record is None or record.status != "ISSUED" or record.not_after is None:
            return
        now = self.kernel.clock.now()
        if now >= record.not_after:
            record.status = "EXPIRED"
            if record.renewal and record.renewal.get("RenewalStatus") == "PENDING_VALIDATION":
                record.renewal = {**record.renewal, "RenewalStatus": "FAILED", "UpdatedAt": now.isoformat()}
            records.save(conn, record)
            Scheduler.cancel(conn, RENEW, record.arn)
            if record.type != "IMPORTED":
                notifications.emit(
                    self.kernel,
                    conn,
                    record,
                    notifications.EXPIRED,
                    notifications.lifecycle_detail(record, now),
                )
            return
        window = timedelta(days=self.days_before_expiry(conn, record.account_id, record.region))
        if record.not_after - now > window:
            Scheduler.schedule(conn, EXPIRY, record.arn, record.not_after - window)
            return
        detail = {"DaysToExpiry": notifications.days_to_expiry(record, now), "CommonName": record.domain_name}
        notifications.emit(self.kernel, conn, record, notifications.APPROACHING_EXPIRATION, detail)
        Scheduler.schedule(conn, EXPIRY, record.arn, min(record.not_after, now + timedelta(days=1)))

    # -- revocation ------------------------------------------------------------------------

    def revoke(self, conn: Connection, record: records.Certificate, reason: str, now: datetime) -> None:
        record.status = "REVOKED"
        record.revoked_at = now
        record.revocation_reason = reason
        records.save(conn, record)
        conn.execute(
            update(acm_serials)
            .where(acm_serials.c.arn == record.arn, acm_serials.c.serial == record.serial)
            .values(revoked_at=now, revocation_reason=reason)
        )
        self.cancel_jobs(conn, record.arn)

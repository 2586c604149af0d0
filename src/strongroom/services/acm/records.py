"""Certificate rows: load, save, and render them as DescribeCertificate and ListCertificates do."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from cryptography import x509
from sqlalchemy import Connection, delete, insert, select, update

from strongroom.services.acm import errors, x509_facts
from strongroom.services.acm.tables import acm_certificate_users, acm_certificates

_JSON_COLUMNS = {"sans", "options", "validations", "renewal"}


@dataclass
class Certificate:
    """One certificate as stored; `in_use_by` comes from the listeners using it."""

    arn: str
    account_id: str
    region: str
    type: str
    status: str
    domain_name: str
    sans: list[str]
    validation_method: str | None
    key_algorithm: str
    options: dict[str, Any]
    validations: list[dict[str, Any]]
    renewal: dict[str, Any] | None
    failure_reason: str | None
    created_at: datetime
    issued_at: datetime | None = None
    imported_at: datetime | None = None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    validation_deadline: datetime | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None
    serial: str | None = None
    certificate_pem: str | None = None
    chain_pem: str | None = None
    key_sealed: bytes | None = None
    exported: bool = False
    idempotency_token: str | None = None
    idempotency_digest: str | None = None
    in_use_by: list[str] = field(default_factory=list)

    @property
    def certificate_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def renewal_eligible(self) -> bool:
        """AWS's rule: ACM-issued, and in use by a service or exported since (re)issue."""
        return (
            self.type == "AMAZON_ISSUED" and self.status == "ISSUED" and bool(self.in_use_by or self.exported)
        )

    def x509(self) -> x509.Certificate | None:
        if not self.certificate_pem:
            return None
        return x509.load_pem_x509_certificate(self.certificate_pem.encode())

    def columns(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "in_use_by":
                continue
            value = getattr(self, f.name)
            values[f.name] = json.dumps(value) if f.name in _JSON_COLUMNS and value is not None else value
        return values


def _from_row(row: Any, users: list[str]) -> Certificate:
    values = dict(row._mapping)
    for name in _JSON_COLUMNS:
        if values.get(name) is not None:
            values[name] = json.loads(values[name])
    values["exported"] = bool(values["exported"])
    return Certificate(**values, in_use_by=users)


def users_of(conn: Connection, arn: str) -> list[str]:
    rows = conn.execute(
        select(acm_certificate_users.c.user)
        .where(acm_certificate_users.c.arn == arn)
        .order_by(acm_certificate_users.c.user)
    )
    return [row.user for row in rows]


def find(conn: Connection, arn: str, *, for_update: bool = False) -> Certificate | None:
    query = select(acm_certificates).where(acm_certificates.c.arn == arn)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    return None if row is None else _from_row(row, users_of(conn, arn))


def require(
    conn: Connection, account_id: str, region: str, arn: str, *, for_update: bool = False
) -> Certificate:
    record = find(conn, arn, for_update=for_update)
    if record is None or record.account_id != account_id or record.region != region:
        raise errors.not_found(arn)
    return record


def listing(conn: Connection, account_id: str, region: str) -> list[Certificate]:
    rows = conn.execute(
        select(acm_certificates)
        .where(acm_certificates.c.account_id == account_id, acm_certificates.c.region == region)
        .order_by(acm_certificates.c.created_at, acm_certificates.c.arn)
    ).all()
    users: dict[str, list[str]] = {}
    arns = [row.arn for row in rows]
    if arns:
        for use in conn.execute(select(acm_certificate_users).where(acm_certificate_users.c.arn.in_(arns))):
            users.setdefault(use.arn, []).append(use.user)
    return [_from_row(row, sorted(users.get(row.arn, []))) for row in rows]


def insert_record(conn: Connection, record: Certificate) -> None:
    conn.execute(insert(acm_certificates).values(**record.columns()))


def save(conn: Connection, record: Certificate) -> None:
    values = record.columns()
    values.pop("arn")
    conn.execute(update(acm_certificates).where(acm_certificates.c.arn == record.arn).values(**values))


def remove(conn: Connection, arn: str) -> None:
    conn.execute(delete(acm_certificates).where(acm_certificates.c.arn == arn))


# -- rendering -------------------------------------------------------------------------------


def domain_validations(validations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """DomainValidationOptions as DescribeCertificate shows them."""
    shown = []
    for item in validations:
        entry: dict[str, Any] = {
            "DomainName": item["DomainName"],
            "ValidationDomain": item["ValidationDomain"],
            "ValidationStatus": item["ValidationStatus"],
            "ValidationMethod": item["ValidationMethod"],
        }
        if item["ValidationMethod"] == "DNS":
            entry["ResourceRecord"] = dict(item["ResourceRecord"])
        else:
            entry["ValidationEmails"] = list(item.get("ValidationEmails", []))
        shown.append(entry)
    return shown


def describe(record: Certificate) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "CertificateArn": record.arn,
        "DomainName": record.domain_name,
        "SubjectAlternativeNames": list(record.sans),
        "Status": record.status,
        "Type": record.type,
        "CreatedAt": record.created_at,
        "KeyAlgorithm": record.key_algorithm,
        "InUseBy": list(record.in_use_by),
        "Options": dict(record.options),
        "RenewalEligibility": "ELIGIBLE" if record.renewal_eligible else "INELIGIBLE",
        "CertificateKeyPairOrigin": "CUSTOMER_PROVIDED" if record.type == "IMPORTED" else "AWS_MANAGED",
    }
    if record.type == "AMAZON_ISSUED":
        detail["DomainValidationOptions"] = domain_validations(record.validations)
    cert = record.x509()
    if cert is not None:
        detail.update(x509_facts.facts(cert))
        if record.type == "IMPORTED":
            detail["DomainName"] = record.domain_name
    for name, value in (
        ("IssuedAt", record.issued_at),
        ("ImportedAt", record.imported_at),
        ("RevokedAt", record.revoked_at),
        ("RevocationReason", record.revocation_reason),
        ("FailureReason", record.failure_reason),
    ):
        if value is not None:
            detail[name] = value
    if record.renewal is not None:
        detail["RenewalSummary"] = renewal_summary(record.renewal)
    return detail


def renewal_summary(renewal: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "RenewalStatus": renewal["RenewalStatus"],
        "DomainValidationOptions": domain_validations(renewal["Validations"]),
        "UpdatedAt": datetime.fromisoformat(renewal["UpdatedAt"]),
    }
    if renewal.get("RenewalStatusReason"):
        summary["RenewalStatusReason"] = renewal["RenewalStatusReason"]
    return summary


def summary(record: Certificate) -> dict[str, Any]:
    """One entry of ListCertificates' CertificateSummaryList."""
    names = list(record.sans)
    item: dict[str, Any] = {
        "CertificateArn": record.arn,
        "DomainName": record.domain_name,
        "SubjectAlternativeNameSummaries": names[:100],
        "HasAdditionalSubjectAlternativeNames": len(names) > 100,
        "Status": record.status,
        "Type": record.type,
        "KeyAlgorithm": record.key_algorithm,
        "InUse": bool(record.in_use_by),
        "Exported": record.exported,
        "RenewalEligibility": "ELIGIBLE" if record.renewal_eligible else "INELIGIBLE",
        "CreatedAt": record.created_at,
        "ExportOption": record.options.get("Export", "DISABLED"),
        "CertificateKeyPairOrigin": "CUSTOMER_PROVIDED" if record.type == "IMPORTED" else "AWS_MANAGED",
    }
    cert = record.x509()
    if cert is not None:
        item["KeyUsages"] = x509_facts.key_usages(cert)
        item["ExtendedKeyUsages"] = [usage["Name"] for usage in x509_facts.extended_key_usages(cert)]
        item["NotBefore"] = cert.not_valid_before_utc
        item["NotAfter"] = cert.not_valid_after_utc
    for name, value in (
        ("IssuedAt", record.issued_at),
        ("ImportedAt", record.imported_at),
        ("RevokedAt", record.revoked_at),
    ):
        if value is not None:
            item[name] = value
    return item

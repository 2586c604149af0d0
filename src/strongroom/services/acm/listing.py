"""ListCertificates' filters and SearchCertificates' filter statements, and their pages.

ListCertificates quirk kept from AWS: without `Includes.keyTypes`, only RSA_1024 and RSA_2048
certificates are listed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from strongroom.services.acm import errors, records, x509_facts
from strongroom.services.acm.records import Certificate

DEFAULT_KEY_TYPES = ("RSA_1024", "RSA_2048")


def list_filter(request: dict[str, Any]) -> Callable[[Certificate], bool]:
    statuses = set(request.get("CertificateStatuses") or [])
    includes = request.get("Includes") or {}
    key_types = set(includes.get("keyTypes") or DEFAULT_KEY_TYPES)
    key_usage = set(includes.get("keyUsage") or [])
    extended = set(includes.get("extendedKeyUsage") or [])
    export_option = includes.get("exportOption")
    origins = set(request.get("CertificateKeyPairOrigins") or [])

    def keep(record: Certificate) -> bool:
        summary = records.summary(record)
        if statuses and record.status not in statuses:
            return False
        if record.key_algorithm not in key_types:
            return False
        if key_usage and not (key_usage & set(summary.get("KeyUsages", [])) or "ANY" in key_usage):
            return False
        if extended and not (extended & set(summary.get("ExtendedKeyUsages", [])) or "ANY" in extended):
            return False
        if export_option and summary["ExportOption"] != export_option:
            return False
        return not (origins and summary["CertificateKeyPairOrigin"] not in origins)

    return keep


def page(items: list[Any], next_token: str | None, limit: int | None) -> tuple[list[Any], str | None]:
    start = 0
    if next_token:
        try:
            start = int(base64.urlsafe_b64decode(next_token.encode()).decode())
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise errors.invalid_args("The NextToken is not valid.") from None
    size = limit or 1000
    chunk = items[start : start + size]
    more = start + size < len(items)
    return chunk, base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else None


# -- SearchCertificates ------------------------------------------------------------------------


def _text_matches(spec: dict[str, Any], value: str | None) -> bool:
    if value is None:
        return False
    wanted = spec["Value"].lower()
    return wanted == value.lower() if spec["ComparisonOperator"] == "EQUALS" else wanted in value.lower()


def _in_range(spec: dict[str, Any], moment: datetime | None) -> bool:
    if moment is None:
        return False
    start, end = spec.get("Start"), spec.get("End")
    return (start is None or moment >= start) and (end is None or moment <= end)


def _x509_matches(spec: dict[str, Any], record: Certificate) -> bool:
    cert = record.x509()
    if cert is None:
        return False
    checks: list[bool] = []
    if "Subject" in spec and "CommonName" in spec["Subject"]:
        checks.append(_text_matches(spec["Subject"]["CommonName"], x509_facts.common_name(cert.subject)))
    if "SubjectAlternativeName" in spec and "DnsName" in spec["SubjectAlternativeName"]:
        dns = spec["SubjectAlternativeName"]["DnsName"]
        checks.append(any(_text_matches(dns, name) for name in x509_facts.dns_names(cert)))
    if "ExtendedKeyUsage" in spec:
        checks.append(spec["ExtendedKeyUsage"] in [u["Name"] for u in x509_facts.extended_key_usages(cert)])
    if "KeyUsage" in spec:
        checks.append(spec["KeyUsage"] in x509_facts.key_usages(cert))
    if "KeyAlgorithm" in spec:
        checks.append(spec["KeyAlgorithm"] == record.key_algorithm)
    if "SerialNumber" in spec:
        checks.append(spec["SerialNumber"].lower() == x509_facts.serial_colons(x509_facts.serial_hex(cert)))
    if "NotAfter" in spec:
        checks.append(_in_range(spec["NotAfter"], cert.not_valid_after_utc))
    if "NotBefore" in spec:
        checks.append(_in_range(spec["NotBefore"], cert.not_valid_before_utc))
    return all(checks)


def _metadata(record: Certificate) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "CreatedAt": record.created_at,
        "Exported": record.exported,
        "InUse": bool(record.in_use_by),
        "RenewalEligibility": "ELIGIBLE" if record.renewal_eligible else "INELIGIBLE",
        "Status": record.status,
        "Type": record.type,
        "ExportOption": record.options.get("Export", "DISABLED"),
        "CertificateKeyPairOrigin": "CUSTOMER_PROVIDED" if record.type == "IMPORTED" else "AWS_MANAGED",
    }
    for name, value in (
        ("ImportedAt", record.imported_at),
        ("IssuedAt", record.issued_at),
        ("RevokedAt", record.revoked_at),
        ("ValidationMethod", record.validation_method),
        ("RenewalStatus", (record.renewal or {}).get("RenewalStatus")),
    ):
        if value is not None:
            meta[name] = value
    return meta


def _filter_matches(spec: dict[str, Any], record: Certificate) -> bool:
    checks: list[bool] = []
    if "CertificateArn" in spec:
        checks.append(spec["CertificateArn"] == record.arn)
    if "X509AttributeFilter" in spec:
        checks.append(_x509_matches(spec["X509AttributeFilter"], record))
    if "AcmCertificateMetadataFilter" in spec:
        meta = _metadata(record)
        checks.append(
            all(meta.get(name) == value for name, value in spec["AcmCertificateMetadataFilter"].items())
        )
    return all(checks)


def statement_matches(statement: dict[str, Any] | None, record: Certificate) -> bool:
    if not statement:
        return True
    if "And" in statement:
        return all(statement_matches(s, record) for s in statement["And"])
    if "Or" in statement:
        return any(statement_matches(s, record) for s in statement["Or"])
    if "Not" in statement:
        return not statement_matches(statement["Not"], record)
    return _filter_matches(statement.get("Filter") or {}, record)


def search_result(record: Certificate) -> dict[str, Any]:
    result: dict[str, Any] = {
        "CertificateArn": record.arn,
        "CertificateMetadata": {"AcmCertificateMetadata": _metadata(record)},
    }
    cert = record.x509()
    if cert is not None:
        result["X509Attributes"] = {
            "Issuer": {"CommonName": x509_facts.common_name(cert.issuer) or ""},
            "Subject": {"CommonName": x509_facts.common_name(cert.subject) or ""},
            "SubjectAlternativeNames": [{"DnsName": name} for name in x509_facts.dns_names(cert)],
            "ExtendedKeyUsages": [u["Name"] for u in x509_facts.extended_key_usages(cert)],
            "KeyAlgorithm": record.key_algorithm,
            "KeyUsages": x509_facts.key_usages(cert),
            "SerialNumber": x509_facts.serial_colons(x509_facts.serial_hex(cert)),
            "NotAfter": cert.not_valid_after_utc,
            "NotBefore": cert.not_valid_before_utc,
        }
    return result


_SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "CREATED_AT": lambda r: r["CertificateMetadata"]["AcmCertificateMetadata"]["CreatedAt"],
    "NOT_AFTER": lambda r: r.get("X509Attributes", {}).get("NotAfter") or datetime.min.replace(tzinfo=UTC),
    "STATUS": lambda r: r["CertificateMetadata"]["AcmCertificateMetadata"]["Status"],
    "CERTIFICATE_ARN": lambda r: r["CertificateArn"],
    "COMMON_NAME": lambda r: r.get("X509Attributes", {}).get("Subject", {}).get("CommonName", ""),
    "TYPE": lambda r: r["CertificateMetadata"]["AcmCertificateMetadata"]["Type"],
}


def sort_results(
    results: list[dict[str, Any]], sort_by: str | None, order: str | None
) -> list[dict[str, Any]]:
    key = _SORT_KEYS.get(sort_by or "CREATED_AT", _SORT_KEYS["CREATED_AT"])
    return sorted(results, key=key, reverse=order == "DESCENDING")

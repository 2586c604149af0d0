"""Domain names as ACM takes them: checks beyond the model's pattern, validation records, e-mails.

The DNS validation record is stable per (account, domain): every certificate an account requests
for `example.com` or `*.example.com` asks for the same CNAME, so one record keeps validating
renewals and new requests, as on AWS.
"""

from __future__ import annotations

import hashlib

MAX_DOMAINS_PER_CERTIFICATE = 10  # ACM's default quota: the domain name plus 9 more
VALIDATION_EMAIL_USERS = ("admin", "administrator", "hostmaster", "postmaster", "webmaster")
VALIDATION_TARGET_ZONE = "acm-validations.aws."


class DomainError(ValueError):
    """The name is not one ACM issues certificates for."""


def normalize(name: str) -> str:
    return name.strip().rstrip(".").lower()


def check(name: str) -> str:
    """The lower-cased name, or `DomainError` (the model's pattern already ran)."""
    value = normalize(name)
    labels = value.split(".")
    if len(value) > 253 or any(not label or len(label) > 63 for label in labels):
        raise DomainError(f"Domain name {name} is not valid.")
    if "*" in value[1:] or (value.startswith("*") and not value.startswith("*.")):
        raise DomainError(f"Domain name {name} is not valid: a wildcard must be the whole leftmost label.")
    if labels[-1].isdigit():
        raise DomainError(f"Domain name {name} is not valid: an IP address or numeric top-level domain.")
    if len(labels) < 2 or (value.startswith("*.") and len(labels) < 3):
        raise DomainError(f"Domain name {name} is not valid: it must be a fully qualified domain name.")
    return value


def base_domain(name: str) -> str:
    """The name without its wildcard label: `*.example.com` validates as `example.com`."""
    value = normalize(name)
    return value[2:] if value.startswith("*.") else value


def is_within(name: str, validation_domain: str) -> bool:
    """Whether `validation_domain` is `name` itself or one of its superdomains."""
    base, parent = base_domain(name), normalize(validation_domain)
    return base == parent or base.endswith("." + parent)


def validation_record(account_id: str, name: str) -> dict[str, str]:
    """The CNAME ACM asks for: `_<hash>.<domain>.` → `_<hash>.<hash>.acm-validations.aws.`."""
    base = base_domain(name)
    seed = f"{account_id}\x00{base}".encode()
    label = hashlib.sha256(b"acm-validation-name\x00" + seed).hexdigest()[:32]
    target = hashlib.sha256(b"acm-validation-value\x00" + seed).hexdigest()
    return {
        "Name": f"_{label}.{base}.",
        "Type": "CNAME",
        "Value": f"_{target[:32]}.{target[32:42]}.{VALIDATION_TARGET_ZONE}",
    }


def validation_emails(validation_domain: str) -> list[str]:
    domain = base_domain(validation_domain)
    return [f"{user}@{domain}" for user in VALIDATION_EMAIL_USERS]


def matches(pattern: str, hostname: str) -> bool:
    """Whether a certificate name (maybe a wildcard) covers `hostname` (RFC 6125, one label)."""
    pattern, hostname = normalize(pattern), normalize(hostname)
    if pattern.startswith("*."):
        head, _, rest = hostname.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == hostname

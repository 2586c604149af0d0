"""ACM state: the installation's CA hierarchy, certificates, every serial ever issued, tags,
account configuration, e-mail approvals, the listeners using a certificate.

Certificates are regional: keyed by ARN, which names the account and region. Private keys,
of certificates and of the CAs, are stored only sealed under the root of trust (purpose
``acm/private-key``, record = the certificate ARN or ``ca:<ca id>``).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, LargeBinary, String, Table, Text

from strongroom.core.store.schema import UtcDateTime, metadata

acm_authorities = Table(
    "acm_authorities",
    metadata,
    Column("ca_id", String(64), primary_key=True),
    Column("role", String(16), nullable=False),  # ROOT / ISSUING
    Column("certificate_pem", Text, nullable=False),
    Column("key_sealed", LargeBinary, nullable=False),
    Column("parent_ca_id", String(64), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

acm_certificates = Table(
    "acm_certificates",
    metadata,
    Column("arn", String(256), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("type", String(16), nullable=False),  # AMAZON_ISSUED / IMPORTED
    Column("status", String(32), nullable=False),
    Column("domain_name", String(256), nullable=False),
    Column("sans", Text, nullable=False),  # JSON list
    Column("validation_method", String(8), nullable=True),
    Column("key_algorithm", String(16), nullable=False),
    Column("options", Text, nullable=False),  # JSON CertificateOptions
    # JSON list of domain validations: DomainName, ValidationDomain, ValidationMethod, status,
    # record name and value, e-mails.
    Column("validations", Text, nullable=False),
    Column("renewal", Text, nullable=True),  # JSON RenewalSummary
    Column("failure_reason", String(64), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("issued_at", UtcDateTime, nullable=True),
    Column("imported_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("revocation_reason", String(32), nullable=True),
    Column("validation_deadline", UtcDateTime, nullable=True),
    Column("not_before", UtcDateTime, nullable=True),
    Column("not_after", UtcDateTime, nullable=True),
    Column("serial", String(64), nullable=True),  # lower-case hex, no separators
    Column("certificate_pem", Text, nullable=True),
    Column("chain_pem", Text, nullable=True),
    Column("key_sealed", LargeBinary, nullable=True),
    Column("exported", Boolean, nullable=False, default=False),
    Column("idempotency_token", String(32), nullable=True),
    Column("idempotency_digest", String(64), nullable=True),
    Index("ix_acm_certificates_account_region", "account_id", "region", "created_at"),
    Index("ix_acm_certificates_idempotency", "account_id", "region", "idempotency_token"),
)

acm_serials = Table(
    "acm_serials",
    metadata,
    Column("ca_id", String(64), primary_key=True),
    Column("serial", String(64), primary_key=True),
    Column("arn", String(256), nullable=False),
    Column("not_after", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("revocation_reason", String(32), nullable=True),
)

acm_tags = Table(
    "acm_tags",
    metadata,
    Column("arn", String(256), primary_key=True),
    Column("tag_key", String(128), primary_key=True),
    Column("tag_value", String(256), nullable=True),
)

acm_account_settings = Table(
    "acm_account_settings",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("days_before_expiry", Integer, nullable=False),
    Column("idempotency_token", String(32), nullable=True),
)

acm_email_approvals = Table(
    "acm_email_approvals",
    metadata,
    Column("token_digest", String(64), primary_key=True),  # SHA-256 of the token in the link
    Column("arn", String(256), nullable=False, index=True),
    Column("domain_name", String(256), nullable=False),
    Column("validation_domain", String(256), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("approved_at", UtcDateTime, nullable=True),
)

acm_certificate_users = Table(
    "acm_certificate_users",
    metadata,
    Column("arn", String(256), primary_key=True),
    Column("user", String(512), primary_key=True),
    Column("since", UtcDateTime, nullable=False),
)

"""ACM's JSON API: one method per operation, each one check, authorize, act, record.

Certificates are issued by the installation's own CA (`authority`), validated for real
(`dns_check`, `mail` + the approval page), renewed and expired by scheduled jobs (`lifecycle`).
The ACME operations answer NotImplemented (the gateway's default for a missing handler).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update

from strongroom.aws.context import RequestContext
from strongroom.aws.service import ServiceApi
from strongroom.services.acm import (
    authority,
    domains,
    errors,
    imports,
    keys,
    listing,
    mail,
    records,
    tags,
)
from strongroom.services.acm.lifecycle import MAX_DAYS_BEFORE_EXPIRY, Engine
from strongroom.services.acm.tables import acm_account_settings, acm_email_approvals

Request = dict[str, Any]
Result = dict[str, Any]

_CERTIFICATE = "AWS::ACM::Certificate"
_IDEMPOTENCY_WINDOW = timedelta(hours=1)


class AcmApi(ServiceApi):
    """AWS Certificate Manager."""

    model_name = "acm"

    def setup(self) -> None:
        hierarchy = authority.ensure_hierarchy(self.kernel.db, self.kernel.root, self.kernel.clock.now())
        self.engine = Engine(self.kernel, hierarchy)
        self.engine.register(self.kernel.scheduler)

    # -- requesting ------------------------------------------------------------------------

    def request_certificate(self, ctx: RequestContext, request: Request) -> Result:
        domain = self._domain(request["DomainName"])
        names = [domain]
        for extra in request.get("SubjectAlternativeNames") or []:
            name = self._domain(extra)
            if name not in names:
                names.append(name)
        if len(names) > domains.MAX_DOMAINS_PER_CERTIFICATE:
            raise errors.limit_exceeded(
                f"A certificate can have at most {domains.MAX_DOMAINS_PER_CERTIFICATE} domain names; "
                f"the request has {len(names)}."
            )
        options_in = request.get("Options") or {}
        method = request.get("ValidationMethod") or options_in.get("ValidationMethod") or "EMAIL"
        if method == "HTTP":
            raise errors.validation(
                "HTTP validation is only available for certificates managed by CloudFront."
            )
        algorithm = request.get("KeyAlgorithm") or "RSA_2048"
        if algorithm not in keys.REQUESTABLE_ALGORITHMS:
            raise errors.validation(
                f"Key algorithm {algorithm} is not supported for requested certificates; "
                f"use one of {', '.join(keys.REQUESTABLE_ALGORITHMS)}."
            )
        if request.get("CertificateAuthorityArn"):
            raise errors.invalid_parameter(
                "Strongroom has no AWS Private CA: CertificateAuthorityArn is not supported."
            )
        if request.get("ManagedBy"):
            raise errors.validation("Strongroom has no CloudFront: ManagedBy is not supported.")
        validation_domains = self._validation_domains(request.get("DomainValidationOptions") or [], names)
        new_tags = tags.check(request.get("Tags"))
        options = {
            "CertificateTransparencyLoggingPreference": options_in.get(
                "CertificateTransparencyLoggingPreference", "ENABLED"
            ),
            "Export": options_in.get("Export", "DISABLED"),
        }
        if request.get("CertificateUsage"):
            options["CertificateUsage"] = request["CertificateUsage"]
        ctx.authorize(
            "acm:RequestCertificate",
            "*",
            request_tags=tags.tag_map(new_tags),
            context_keys={
                "acm:DomainNames": names,
                "acm:ValidationMethod": method,
                "acm:KeyAlgorithm": algorithm,
                "acm:CertificateTransparencyLogging": options["CertificateTransparencyLoggingPreference"],
                "acm:Export": options["Export"],
            },
        )
        now = ctx.now()
        token = request.get("IdempotencyToken")
        arn = ctx.arn("acm", f"certificate/{uuid.uuid4()}")
        validations = [
            self._validation_entry(ctx.account_id, name, method, validation_domains.get(name, name))
            for name in names
        ]
        record = records.Certificate(
            arn=arn,
            account_id=ctx.account_id,
            region=ctx.region,
            type="AMAZON_ISSUED",
            status="PENDING_VALIDATION",
            domain_name=domain,
            sans=names,
            validation_method=method,
            key_algorithm=algorithm,
            options=options,
            validations=validations,
            renewal=None,
            failure_reason=None,
            created_at=now,
            idempotency_token=token,
            idempotency_digest=_digest(request) if token else None,
        )
        with ctx.kernel.db.write() as conn:
            if token:
                ctx.kernel.db.lock(conn, f"acm:idempotency:{ctx.account_id}:{ctx.region}")
                earlier = self._idempotent_match(conn, ctx, token, now)
                if earlier is not None:
                    return {"CertificateArn": earlier}
            records.insert_record(conn, record)
            tags.add(conn, arn, new_tags)
            mails = self.engine.start_validation(conn, record, now)
        for approval, recipients in mails:
            mail.send(approval, recipients)
        ctx.audit_resources.append((_CERTIFICATE, arn))
        return {"CertificateArn": arn}

    def _domain(self, name: str) -> str:
        try:
            return domains.check(name)
        except domains.DomainError as exc:
            raise errors.validation(str(exc)) from None

    def _validation_domains(self, options: list[dict[str, Any]], names: list[str]) -> dict[str, str]:
        chosen: dict[str, str] = {}
        for option in options:
            name = domains.normalize(option["DomainName"])
            parent = domains.normalize(option["ValidationDomain"])
            if name not in names:
                raise errors.invalid_domain_options(
                    f"DomainValidationOptions names {option['DomainName']}, "
                    "which is not a domain of the request."
                )
            if not domains.is_within(name, parent):
                raise errors.invalid_domain_options(
                    f"The validation domain {option['ValidationDomain']} must be {name} "
                    "or one of its superdomains."
                )
            chosen[name] = parent
        return chosen

    @staticmethod
    def _validation_entry(account_id: str, name: str, method: str, validation_domain: str) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "DomainName": name,
            "ValidationDomain": domains.base_domain(validation_domain),
            "ValidationMethod": method,
            "ValidationStatus": "PENDING_VALIDATION",
        }
        if method == "DNS":
            entry["ResourceRecord"] = domains.validation_record(account_id, name)
        else:
            entry["ValidationEmails"] = domains.validation_emails(validation_domain)
        return entry

    def _idempotent_match(self, conn: Any, ctx: RequestContext, token: str, now: Any) -> str | None:
        from strongroom.services.acm.tables import acm_certificates

        row = conn.execute(
            select(acm_certificates.c.arn)
            .where(
                acm_certificates.c.account_id == ctx.account_id,
                acm_certificates.c.region == ctx.region,
                acm_certificates.c.idempotency_token == token,
                acm_certificates.c.created_at > now - _IDEMPOTENCY_WINDOW,
            )
            .order_by(acm_certificates.c.created_at.desc())
            .limit(1)
        ).first()
        return None if row is None else str(row.arn)

    # -- reading ---------------------------------------------------------------------------

    def describe_certificate(self, ctx: RequestContext, request: Request) -> Result:
        record = self._authorized(ctx, "acm:DescribeCertificate", request["CertificateArn"])
        return {"Certificate": records.describe(record)}

    def get_certificate(self, ctx: RequestContext, request: Request) -> Result:
        record = self._authorized(ctx, "acm:GetCertificate", request["CertificateArn"])
        if record.certificate_pem is None:
            raise errors.in_progress(record.arn, record.status)
        result: Result = {"Certificate": record.certificate_pem}
        if record.chain_pem:
            result["CertificateChain"] = record.chain_pem
        return result

    def list_certificates(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("acm:ListCertificates", "*")
        with ctx.kernel.db.read() as conn:
            rows = records.listing(conn, ctx.account_id, ctx.region)
        keep = listing.list_filter(request)
        chosen = [r for r in rows if keep(r)]
        if request.get("SortOrder") == "DESCENDING":
            chosen.reverse()
        chunk, token = listing.page(chosen, request.get("NextToken"), request.get("MaxItems"))
        result: Result = {"CertificateSummaryList": [records.summary(r) for r in chunk]}
        if token:
            result["NextToken"] = token
        return result

    def search_certificates(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("acm:SearchCertificates", "*")
        with ctx.kernel.db.read() as conn:
            rows = records.listing(conn, ctx.account_id, ctx.region)
        statement = request.get("FilterStatement")
        found = [listing.search_result(r) for r in rows if listing.statement_matches(statement, r)]
        found = listing.sort_results(found, request.get("SortBy"), request.get("SortOrder"))
        chunk, token = listing.page(found, request.get("NextToken"), request.get("MaxResults") or 100)
        result: Result = {"Results": chunk}
        if token:
            result["NextToken"] = token
        return result

    def list_certificate_domain_validations(self, ctx: RequestContext, request: Request) -> Result:
        record = self._authorized(ctx, "acm:ListCertificateDomainValidations", request["CertificateArn"])
        summaries = []
        for item in records.domain_validations(record.validations):
            challenge: dict[str, Any]
            if item["ValidationMethod"] == "DNS":
                challenge = {"DnsValidationChallenge": {"ResourceRecord": item["ResourceRecord"]}}
            else:
                challenge = {
                    "EmailValidationChallenge": {
                        "ValidationEmails": item["ValidationEmails"],
                        "ValidationDomain": item["ValidationDomain"],
                    }
                }
            summaries.append(
                {
                    "DomainName": item["DomainName"],
                    "ActiveValidationConfiguration": {
                        "ValidationMethod": item["ValidationMethod"],
                        "ValidationChallenge": challenge,
                        "ValidationStatus": item["ValidationStatus"],
                    },
                }
            )
        chunk, token = listing.page(summaries, request.get("NextToken"), request.get("MaxItems"))
        result: Result = {"DomainValidationSummaryList": chunk}
        if token:
            result["NextToken"] = token
        return result

    # -- importing and exporting -----------------------------------------------------------

    def import_certificate(self, ctx: RequestContext, request: Request) -> Result:
        reimport_arn = request.get("CertificateArn")
        new_tags = tags.check(request.get("Tags"))
        if reimport_arn and new_tags:
            raise errors.validation("Tags cannot be specified when reimporting a certificate.")
        now = ctx.now()
        imported = imports.check(
            request["Certificate"], request["PrivateKey"], request.get("CertificateChain"), now
        )
        arn = reimport_arn or ctx.arn("acm", f"certificate/{uuid.uuid4()}")
        ctx.authorize(
            "acm:ImportCertificate",
            arn,
            resource_account=_account_of(arn),
            request_tags=tags.tag_map(new_tags),
        )
        with ctx.kernel.db.write() as conn:
            if reimport_arn:
                self._check_arn(ctx, reimport_arn)
                record = records.require(conn, ctx.account_id, ctx.region, reimport_arn, for_update=True)
                if record.type != "IMPORTED":
                    raise errors.validation(
                        f"Certificate {reimport_arn} was not imported and cannot be reimported."
                    )
            else:
                record = records.Certificate(
                    arn=arn,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    type="IMPORTED",
                    status="ISSUED",
                    domain_name=imported.domain_name,
                    sans=imported.names,
                    validation_method=None,
                    key_algorithm=imported.key_algorithm,
                    options={"CertificateTransparencyLoggingPreference": "DISABLED", "Export": "DISABLED"},
                    validations=[],
                    renewal=None,
                    failure_reason=None,
                    created_at=now,
                )
                records.insert_record(conn, record)
                tags.add(conn, arn, new_tags)
            record.status = "ISSUED"
            record.domain_name = imported.domain_name
            record.sans = imported.names
            record.key_algorithm = imported.key_algorithm
            record.imported_at = now
            self.engine.install(conn, record, imported.certificate, imported.key, imported.chain_pem)
            records.save(conn, record)
            self.engine.schedule_lifecycle(conn, record, now)
        ctx.audit_resources.append((_CERTIFICATE, arn))
        return {"CertificateArn": arn}

    def export_certificate(self, ctx: RequestContext, request: Request) -> Result:
        arn = request["CertificateArn"]
        self._check_arn(ctx, arn)
        ctx.authorize("acm:ExportCertificate", arn, resource_account=_account_of(arn))
        with ctx.kernel.db.write() as conn:
            record = records.require(conn, ctx.account_id, ctx.region, arn, for_update=True)
            if record.type == "IMPORTED" or record.options.get("Export") != "ENABLED":
                raise errors.validation(
                    f"Certificate {arn} is not exportable: only certificates requested with the Export "
                    "option ENABLED can be exported."
                )
            if record.certificate_pem is None or record.status == "PENDING_VALIDATION":
                raise errors.in_progress(arn, record.status)
            if record.status != "ISSUED":
                raise errors.validation(f"Certificate {arn} is {record.status} and cannot be exported.")
            key = self.engine.private_key(record)
            record.exported = True
            records.save(conn, record)
        result: Result = {
            "Certificate": record.certificate_pem,
            "PrivateKey": keys.encrypted_pem(key, request["Passphrase"]),
        }
        if record.chain_pem:
            result["CertificateChain"] = record.chain_pem
        ctx.audit_resources.append((_CERTIFICATE, arn))
        return result

    # -- changing --------------------------------------------------------------------------

    def delete_certificate(self, ctx: RequestContext, request: Request) -> Result:
        arn = request["CertificateArn"]
        self._check_arn(ctx, arn)
        ctx.authorize("acm:DeleteCertificate", arn, resource_account=_account_of(arn))
        with ctx.kernel.db.write() as conn:
            record = records.require(conn, ctx.account_id, ctx.region, arn, for_update=True)
            if record.in_use_by:
                raise errors.in_use(arn)
            records.remove(conn, arn)
            tags.remove_all(conn, arn)
            conn.execute(acm_email_approvals.delete().where(acm_email_approvals.c.arn == arn))
            Engine.cancel_jobs(conn, arn)
        ctx.audit_resources.append((_CERTIFICATE, arn))
        return {}

    def renew_certificate(self, ctx: RequestContext, request: Request) -> Result:
        arn = request["CertificateArn"]
        self._check_arn(ctx, arn)
        ctx.authorize("acm:RenewCertificate", arn, resource_account=_account_of(arn))
        with ctx.kernel.db.write() as conn:
            record = records.require(conn, ctx.account_id, ctx.region, arn, for_update=True)
            if record.type != "AMAZON_ISSUED":
                raise errors.validation(f"Certificate {arn} was imported; ACM cannot renew it.")
            if record.status == "PENDING_VALIDATION":
                raise errors.in_progress(arn, record.status)
            if record.status != "ISSUED":
                raise errors.validation(f"Certificate {arn} is {record.status} and cannot be renewed.")
            if (record.renewal or {}).get("RenewalStatus") == "PENDING_VALIDATION":
                raise errors.in_progress(arn, "PENDING_VALIDATION")
            self.engine.start_renewal(conn, record, ctx.now())
        ctx.audit_resources.append((_CERTIFICATE, arn))
        return {}

    def revoke_certificate(self, ctx: RequestContext, request: Request) -> Result:
        arn = request["CertificateArn"]
        self._check_arn(ctx, arn)
        ctx.authorize("acm:RevokeCertificate", arn, resource_account=_account_of(arn))
        with ctx.kernel.db.write() as conn:
            record = records.require(conn, ctx.account_id, ctx.region, arn, for_update=True)
            if record.in_use_by:
                raise errors.in_use(arn)
            if record.type != "AMAZON_ISSUED":
                raise errors.validation(
                    f"Certificate {arn} was imported; only ACM-issued certificates can be revoked."
                )
            if record.status == "REVOKED":
                raise errors.conflict(f"Certificate {arn} is already revoked.")
            if record.status != "ISSUED":
                raise errors.validation(
                    f"Certificate {arn} is {record.status}; only issued certificates can be revoked."
                )
            self.engine.revoke(conn, record, request["RevocationReason"], ctx.now())
        ctx.audit_resources.append((_CERTIFICATE, arn))
        return {"CertificateArn": arn}

    def resend_validation_email(self, ctx: RequestContext, request: Request) -> Result:
        arn = request["CertificateArn"]
        self._check_arn(ctx, arn)
        ctx.authorize("acm:ResendValidationEmail", arn, resource_account=_account_of(arn))
        domain = domains.normalize(request["Domain"])
        validation_domain = domains.normalize(request["ValidationDomain"])
        now = ctx.now()
        with ctx.kernel.db.write() as conn:
            record = records.require(conn, ctx.account_id, ctx.region, arn, for_update=True)
            renewing = (record.renewal or {}).get("RenewalStatus") == "PENDING_VALIDATION"
            if record.validation_method != "EMAIL" or not (record.status == "PENDING_VALIDATION" or renewing):
                raise errors.invalid_state(
                    f"Certificate {arn} is not waiting for e-mail validation; no e-mail can be resent."
                )
            pending = record.renewal["Validations"] if renewing and record.renewal else record.validations
            entry = next((v for v in pending if v["DomainName"] == domain), None)
            if entry is None or entry["ValidationDomain"] != validation_domain:
                raise errors.invalid_domain_options(
                    f"The domain {request['Domain']} with validation domain {request['ValidationDomain']} "
                    "is not part of this certificate's validation."
                )
            approval, recipients = self.engine.new_approval(conn, record, entry, now, renewal=renewing)
        mail.send(approval, recipients)
        return {}

    def update_certificate_options(self, ctx: RequestContext, request: Request) -> Result:
        arn = request["CertificateArn"]
        self._check_arn(ctx, arn)
        ctx.authorize("acm:UpdateCertificateOptions", arn, resource_account=_account_of(arn))
        options = request["Options"]
        with ctx.kernel.db.write() as conn:
            record = records.require(conn, ctx.account_id, ctx.region, arn, for_update=True)
            if record.type == "IMPORTED":
                raise errors.invalid_state(f"Certificate {arn} was imported; its options cannot be updated.")
            if "Export" in options and options["Export"] != record.options.get("Export", "DISABLED"):
                raise errors.validation(
                    "The Export option is set when a certificate is requested and cannot change."
                )
            if "CertificateTransparencyLoggingPreference" in options:
                record.options = {
                    **record.options,
                    "CertificateTransparencyLoggingPreference": options[
                        "CertificateTransparencyLoggingPreference"
                    ],
                }
            records.save(conn, record)
        return {}

    # -- tags ------------------------------------------------------------------------------

    def add_tags_to_certificate(self, ctx: RequestContext, request: Request) -> Result:
        return self._add_tags(ctx, request["CertificateArn"], request["Tags"], "acm:AddTagsToCertificate")

    def tag_resource(self, ctx: RequestContext, request: Request) -> Result:
        return self._add_tags(ctx, request["ResourceArn"], request["Tags"], "acm:TagResource")

    def _add_tags(self, ctx: RequestContext, arn: str, new: list[dict[str, Any]], action: str) -> Result:
        new = tags.check(new)
        self._check_arn(ctx, arn)
        ctx.authorize(action, arn, resource_account=_account_of(arn), request_tags=tags.tag_map(new))
        with ctx.kernel.db.write() as conn:
            records.require(conn, ctx.account_id, ctx.region, arn, for_update=True)
            tags.add(conn, arn, new)
        ctx.audit_resources.append((_CERTIFICATE, arn))
        return {}

    def remove_tags_from_certificate(self, ctx: RequestContext, request: Request) -> Result:
        return self._remove_tags(
            ctx, request["CertificateArn"], request["Tags"], "acm:RemoveTagsFromCertificate"
        )

    def untag_resource(self, ctx: RequestContext, request: Request) -> Result:
        gone = [{"Key": key} for key in request["TagKeys"]]
        return self._remove_tags(ctx, request["ResourceArn"], gone, "acm:UntagResource")

    def _remove_tags(self, ctx: RequestContext, arn: str, gone: list[dict[str, Any]], action: str) -> Result:
        self._check_arn(ctx, arn)
        ctx.authorize(
            action,
            arn,
            resource_account=_account_of(arn),
            context_keys={"aws:TagKeys": [tag["Key"] for tag in gone]},
        )
        with ctx.kernel.db.write() as conn:
            records.require(conn, ctx.account_id, ctx.region, arn, for_update=True)
            tags.remove(conn, arn, gone)
        ctx.audit_resources.append((_CERTIFICATE, arn))
        return {}

    def list_tags_for_certificate(self, ctx: RequestContext, request: Request) -> Result:
        return {"Tags": self._tags(ctx, request["CertificateArn"], "acm:ListTagsForCertificate")}

    def list_tags_for_resource(self, ctx: RequestContext, request: Request) -> Result:
        return {"Tags": self._tags(ctx, request["ResourceArn"], "acm:ListTagsForResource")}

    def _tags(self, ctx: RequestContext, arn: str, action: str) -> list[dict[str, Any]]:
        self._check_arn(ctx, arn)
        ctx.authorize(action, arn, resource_account=_account_of(arn))
        with ctx.kernel.db.read() as conn:
            records.require(conn, ctx.account_id, ctx.region, arn)
            return tags.listing(conn, arn)

    # -- account configuration -------------------------------------------------------------

    def get_account_configuration(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("acm:GetAccountConfiguration", "*")
        with ctx.kernel.db.read() as conn:
            days = self.engine.days_before_expiry(conn, ctx.account_id, ctx.region)
        return {"ExpiryEvents": {"DaysBeforeExpiry": days}}

    def put_account_configuration(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("acm:PutAccountConfiguration", "*")
        expiry = request.get("ExpiryEvents") or {}
        days = expiry.get("DaysBeforeExpiry")
        if days is not None and not 1 <= days <= MAX_DAYS_BEFORE_EXPIRY:
            raise errors.validation(
                f"DaysBeforeExpiry must be between 1 and {MAX_DAYS_BEFORE_EXPIRY}; it was {days}."
            )
        token = request["IdempotencyToken"]
        key = (
            acm_account_settings.c.account_id == ctx.account_id,
            acm_account_settings.c.region == ctx.region,
        )
        with ctx.kernel.db.write() as conn:
            row = conn.execute(select(acm_account_settings).where(*key).with_for_update()).first()
            if row is not None and row.idempotency_token == token:
                if days is not None and row.days_before_expiry != days:
                    raise errors.conflict(
                        "This idempotency token was already used with a different account configuration."
                    )
                return {}
            value = days if days is not None else (row.days_before_expiry if row else 45)
            if row is None:
                conn.execute(
                    insert(acm_account_settings).values(
                        account_id=ctx.account_id,
                        region=ctx.region,
                        days_before_expiry=value,
                        idempotency_token=token,
                    )
                )
            else:
                conn.execute(
                    update(acm_account_settings)
                    .where(*key)
                    .values(days_before_expiry=value, idempotency_token=token)
                )
        return {}

    # -- helpers ---------------------------------------------------------------------------

    def _check_arn(self, ctx: RequestContext, arn: str) -> None:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "acm" or not parts[5].startswith("certificate/"):
            raise errors.invalid_arn(arn)
        if parts[3] != ctx.region:
            raise errors.invalid_arn(arn)

    def _authorized(self, ctx: RequestContext, action: str, arn: str) -> records.Certificate:
        self._check_arn(ctx, arn)
        ctx.authorize(action, arn, resource_account=_account_of(arn))
        with ctx.kernel.db.read() as conn:
            record = records.require(conn, ctx.account_id, ctx.region, arn)
        ctx.audit_resources.append((_CERTIFICATE, arn))
        return record


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def _digest(request: Request) -> str:
    body = json.dumps(
        {k: v for k, v in request.items() if k != "IdempotencyToken"}, sort_keys=True, default=str
    )
    return hashlib.sha256(body.encode()).hexdigest()

"""ACM's plain-HTTP paths under /_strongroom/acm/: CRLs, CA certificates, OCSP, e-mail approval.

    GET  /_strongroom/acm/crl/<ca id>.crl        the CA's CRL (DER, application/pkix-crl)
    GET  /_strongroom/acm/ca/<ca id>.crt         the CA's certificate (DER, application/pkix-cert)
    POST /_strongroom/acm/ocsp                   RFC 6960 OCSP (application/ocsp-request)
    GET  /_strongroom/acm/ocsp/<base64 request>  the same, GET form
    GET  /_strongroom/acm/approve?token=…        the approval page (domain, account, expiry, button)
    POST /_strongroom/acm/approve                approve (form field `token`)

Unauthenticated, like a public CA's: the approval token in the mailed link is the credential.
Everything here is synchronous (database, signing): the server runs it in its worker threads.
"""

from __future__ import annotations

import base64
import binascii
import html
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote

from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from strongroom.aws.http import Headers, HttpRequest, HttpResponse
from strongroom.services.acm import authority, lifecycle, revocation
from strongroom.services.acm.tables import acm_email_approvals

if TYPE_CHECKING:
    from strongroom.core.kernel import Kernel

PREFIX = "/_strongroom/acm/"


def handle(kernel: Kernel, path: str, request: HttpRequest) -> HttpResponse:
    rest = path[len(PREFIX) :]
    if rest.startswith("crl/") and rest.endswith(".crl") and request.method in ("GET", "HEAD"):
        return _crl(kernel, rest[4:-4])
    if rest.startswith("ca/") and rest.endswith(".crt") and request.method in ("GET", "HEAD"):
        return _ca_certificate(kernel, rest[3:-4])
    if rest == "ocsp" and request.method == "POST":
        return _ocsp(kernel, request.body)
    if rest.startswith("ocsp/") and request.method == "GET":
        try:
            der = base64.b64decode(unquote(rest[5:]), validate=False)
        except (binascii.Error, ValueError):
            der = b""
        return _ocsp(kernel, der)
    if rest == "approve" and request.method == "GET":
        token = (parse_qs(request.query_string).get("token") or [""])[0]
        return _approval_page(kernel, token)
    if rest == "approve" and request.method == "POST":
        token = (parse_qs(request.body.decode("utf-8", "replace")).get("token") or [""])[0]
        return _approve(kernel, token)
    return _response(404, "text/plain", f"No such Strongroom ACM path: {path}".encode())


def _hierarchy(kernel: Kernel) -> authority.Hierarchy:
    hierarchy = authority.load_hierarchy(kernel.db, kernel.root)
    assert hierarchy is not None, "ACM's setup creates the hierarchy before the server answers"
    return hierarchy


def _crl(kernel: Kernel, ca_id: str) -> HttpResponse:
    ca = _hierarchy(kernel).by_id(ca_id)
    if ca is None:
        return _response(404, "text/plain", b"No such certificate authority")
    with kernel.db.read() as conn:
        der = revocation.crl_der(conn, ca, kernel.clock.now())
    return _response(200, "application/pkix-crl", der)


def _ca_certificate(kernel: Kernel, ca_id: str) -> HttpResponse:
    ca = _hierarchy(kernel).by_id(ca_id)
    if ca is None:
        return _response(404, "text/plain", b"No such certificate authority")
    return _response(200, "application/pkix-cert", ca.certificate.public_bytes(serialization.Encoding.DER))


def _ocsp(kernel: Kernel, der: bytes) -> HttpResponse:
    with kernel.db.read() as conn:
        answer = revocation.ocsp_response(conn, _hierarchy(kernel), der, kernel.clock.now())
    return _response(200, "application/ocsp-response", answer)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Certificate approval</title></head>
<body>
<h1>Certificate approval</h1>
{body}
</body></html>
"""


def _approval_page(kernel: Kernel, token: str) -> HttpResponse:
    with kernel.db.read() as conn:
        row = conn.execute(
            select(acm_email_approvals).where(
                acm_email_approvals.c.token_digest == lifecycle.token_digest(token)
            )
        ).first()
    if row is None:
        return _page(404, "<p>This approval link is not valid.</p>")
    now = kernel.clock.now()
    arn = row.arn
    account, region = arn.split(":")[4], arn.split(":")[3]
    facts = (
        f'<dl><dt>Domain</dt><dd id="domain">{html.escape(row.domain_name)}</dd>'
        f"<dt>Validation domain</dt><dd>{html.escape(row.validation_domain)}</dd>"
        f'<dt>Account</dt><dd id="account">{html.escape(account)}</dd>'
        f"<dt>Region</dt><dd>{html.escape(region)}</dd>"
        f'<dt>Certificate</dt><dd id="certificate">{html.escape(arn)}</dd>'
        f'<dt>Link expires</dt><dd id="expires">{row.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")}</dd></dl>'
    )
    if row.approved_at is not None:
        return _page(200, facts + '<p id="status">Already approved.</p>')
    if now >= row.expires_at:
        return _page(410, facts + '<p id="status">This approval link has expired.</p>')
    form = (
        '<form method="post" action="/_strongroom/acm/approve">'
        f'<input type="hidden" name="token" value="{html.escape(token, quote=True)}">'
        '<button type="submit" id="approve">I Approve</button></form>'
    )
    return _page(200, facts + form)


def _approve(kernel: Kernel, token: str) -> HttpResponse:
    engine = lifecycle.Engine(kernel, _hierarchy(kernel))
    with kernel.db.write() as conn:
        outcome, record = engine.approve(conn, token, kernel.clock.now())
    if outcome == "unknown":
        return _page(404, "<p>This approval link is not valid.</p>")
    if outcome == "expired":
        return _page(410, '<p id="status">This approval link has expired.</p>')
    if outcome == "already":
        return _page(200, '<p id="status">Already approved.</p>')
    assert record is not None
    return _page(
        200,
        f'<p id="status">Approved.</p><p>Certificate <span id="certificate">{html.escape(record.arn)}</span> '
        f'is <span id="certificate-status">{html.escape(record.status)}</span>.</p>',
    )


def _page(status: int, body: str) -> HttpResponse:
    return _response(status, "text/html; charset=utf-8", _PAGE.format(body=body).encode())


def _response(status: int, content_type: str, body: bytes) -> HttpResponse:
    return HttpResponse(status=status, headers=Headers([("Content-Type", content_type)]), body=body)

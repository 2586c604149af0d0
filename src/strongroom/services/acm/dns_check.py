"""DNS validation, for real: look the CNAME up and compare it with the one ACM asked for.

The resolver is `STRONGROOM_DNS_RESOLVER=host:port` (several separated by commas), else the
system's. Lookups run inside the scheduler's write transaction, so they are kept short: one
attempt per server, two seconds at most in all.
"""

from __future__ import annotations

import logging
import os

import dns.exception
import dns.resolver

log = logging.getLogger(__name__)

RESOLVER_ENV = "STRONGROOM_DNS_RESOLVER"
LIFETIME_SECONDS = 2.0


def _resolver() -> dns.resolver.Resolver:
    configured = os.environ.get(RESOLVER_ENV, "").strip()
    if not configured:
        resolver = dns.resolver.Resolver()
    else:
        resolver = dns.resolver.Resolver(configure=False)
        servers: list[str] = []
        port = 53
        for item in configured.split(","):
            host, _, port_text = item.strip().rpartition(":")
            if not host:  # no port given
                host, port_text = port_text, "53"
            servers.append(host.strip("[]"))
            port = int(port_text)
        resolver.nameservers = servers
        resolver.port = port
    resolver.lifetime = LIFETIME_SECONDS
    resolver.timeout = LIFETIME_SECONDS
    resolver.cache = None
    return resolver


def _canonical(name: str) -> str:
    return name.strip().rstrip(".").lower()


def cname_matches(record_name: str, expected_value: str) -> bool:
    """Whether `record_name` has a CNAME pointing at `expected_value` right now."""
    try:
        answer = _resolver().resolve(record_name, "CNAME", raise_on_no_answer=False)
    except (dns.exception.DNSException, OSError) as exc:
        log.debug("DNS validation lookup of %s failed: %s", record_name, exc)
        return False
    if answer.rrset is None:
        return False
    expected = _canonical(expected_value)
    return any(_canonical(rdata.target.to_text()) == expected for rdata in answer.rrset)

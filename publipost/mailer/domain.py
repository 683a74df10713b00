"""What a sending domain publishes, checked before mailbox providers check it: the DKIM key
under the selector (RFC 6376 §3.6.2), an SPF record (RFC 7208), a DMARC policy (RFC 7489) and
whether the DKIM signature's domain aligns with the From domain (DMARC §3.1.1, relaxed: the
same organisational domain). Gmail and Yahoo have required all three of bulk senders since
February 2024.

DNS is asked through dnspython, of the system's resolver or of the one PUBLIPOST_DNS names
(host:port): the tests answer from a zone of their own on 127.0.0.1, never the internet.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

DNS_VARIABLE = "PUBLIPOST_DNS"

Lookup = Callable[[str], list[str]]  # a name's TXT strings ([] when there is none)


@dataclass
class Check:
    what: str  # DKIM, SPF, DMARC, alignment
    ok: bool
    said: str  # what was found, and what to do when it is not right


@dataclass
class DomainReport:
    domain: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def txt_lookup(timeout: float = 5.0) -> Lookup:
    """TXT records by name: the system's resolver, or PUBLIPOST_DNS (host:port)."""
    import dns.exception
    import dns.resolver

    resolver = dns.resolver.Resolver(configure=not os.environ.get(DNS_VARIABLE))
    if os.environ.get(DNS_VARIABLE):
        host, _, port = os.environ[DNS_VARIABLE].rpartition(":")
        resolver.nameservers, resolver.port = [host or "127.0.0.1"], int(port or 53)
    resolver.lifetime = timeout

    def lookup(name: str) -> list[str]:
        try:
            answer = resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.DNSException as exc:
            raise LookupError(f"{name}: {exc.__class__.__name__}") from None
        return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]

    return lookup


def check_domain(
    domain: str,
    lookup: Lookup,
    *,
    selector: str | None = None,
    dkim_domain: str | None = None,
    public: str | None = None,
) -> DomainReport:
    """The From domain's records. `public`: our key's p= value, to compare with the published one."""
    report = DomainReport(domain)
    signing = dkim_domain or domain
    if selector:
        name = f"{selector}._domainkey.{signing}"
        records = [r for r in lookup(name) if "p=" in r]
        published = _tag(records[0], "p") if records else None
        if not records:
            report.checks.append(
                Check("DKIM", False, f"no key at {name}: publish the record `publipost dkim dns` prints")
            )
        elif public is not None and published != public:
            report.checks.append(
                Check(
                    "DKIM",
                    False,
                    f"the key at {name} is not the campaign's: publish the one `publipost dkim dns` prints",
                )
            )
        else:
            report.checks.append(Check("DKIM", True, f"key published at {name}"))
    spf = [r for r in lookup(domain) if r.lower().startswith("v=spf1")]
    if len(spf) != 1:
        said = "none" if not spf else f"{len(spf)} records (RFC 7208 §4.5: one, or receivers ignore them)"
        report.checks.append(
            Check("SPF", False, f'{said} at {domain}: publish one, e.g. "v=spf1 include:YOUR-RELAY -all"')
        )
    else:
        ending = spf[0].split()[-1]
        strict = ending in ("-all", "~all")
        tail = "" if strict else " (it ends without -all or ~all: anyone may send as the domain)"
        report.checks.append(Check("SPF", strict, f"{spf[0]}{tail}"))
    dmarc = [r for r in lookup(f"_dmarc.{domain}") if r.lower().startswith("v=dmarc1")]
    if not dmarc:
        report.checks.append(
            Check(
                "DMARC",
                False,
                f'no policy at _dmarc.{domain}: publish at least "v=DMARC1; p=none; rua=mailto:…"',
            )
        )
    else:
        policy = _tag(dmarc[0], "p") or "?"
        report.checks.append(Check("DMARC", policy in ("none", "quarantine", "reject"), f"policy p={policy}"))
    if selector:
        same = aligned(signing, domain)
        said = f"d={signing} and From @{domain}" + ("" if same else ": not the same organisational domain")
        report.checks.append(Check("alignment", same, said))
    return report


def _tag(record: str, name: str) -> str | None:
    for part in record.split(";"):
        key, _, value = part.strip().partition("=")
        if key.strip() == name:
            return "".join(value.split())
    return None


def aligned(signing: str, domain: str) -> bool:
    """DMARC's relaxed DKIM alignment: the signing domain and the From domain share their
    organisational domain."""
    return _organisational(signing) == _organisational(domain)


def _organisational(domain: str) -> str:
    """The last two labels (three under a two-letter second level such as co.uk): DMARC's
    relaxed alignment by the organisational domain, without the Public Suffix List."""
    labels = domain.lower().rstrip(".").split(".")
    keep = (
        3
        if len(labels) >= 3
        and len(labels[-2]) <= 3
        and len(labels[-1]) == 2
        and labels[-2] in ("co", "com", "org", "net", "ac", "gov")
        else 2
    )
    return ".".join(labels[-keep:])

"""A real DNS server on loopback for the tests: a small authoritative UDP responder built
on dnspython, run in a thread, that counts every packet it receives.

It serves the zones in `TEST_ZONES` (a blocklist, a wallet list and mail domains with
SPF records) and can be told to never answer or to answer SERVFAIL, per name or for
everything. Used by the DNS unit tests and the end-to-end tests (the milter process
resolves against it through `dns.nameservers` / `dns.port`).

    with DnsTestServer() as server:
        server.port, server.queries("2.0.0.127.zen.test", "A"), server.drop_all = True
"""

from __future__ import annotations

import hashlib
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from types import TracebackType

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone
import pytest

# Client IPs. Global addresses (the checks never query private or documentation ranges),
# but the zones below exist only on this server.
LISTED_V4 = "45.33.32.156"
LISTED_V4_CODES = "127.0.0.2,127.0.0.4"
UNLISTED_V4 = "45.33.32.157"
LISTED_V6 = "2a01:4f8:c17:b8f::2"
REFUSED_V4 = "45.33.32.158"  # answered with a Spamhaus-style "refused" code

# Wallets (checksum-valid). One is listed by its raw address, one by its SHA-1.
WALLET_RAW_LISTED = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
WALLET_SHA1_LISTED = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"
WALLET_UNLISTED = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
WALLET_SHA1 = hashlib.sha1(WALLET_SHA1_LISTED.encode(), usedforsecurity=False).hexdigest()

# Mail domains. spf-pass.test allows SPF_ALLOWED_V4 only; spf-fail.test allows nobody.
SPF_ALLOWED_V4 = "45.33.32.200"
SPF_OTHER_V4 = "45.33.32.201"
SPF_INCLUDED_V4 = "45.33.32.202"  # allowed through include:_spf.spf-pass.test

BL_ZONE = "zen.test"
BL_ZONE_V4ONLY = "v4only.test"
WALLET_RAW_ZONE = "rawwallets.test"
WALLET_SHA1_ZONE = "sha1wallets.test"


def _reverse_v6(address: str) -> str:
    import ipaddress

    return ".".join(reversed(ipaddress.IPv6Address(address).exploded.replace(":", "")))


def _soa(origin: str) -> str:
    return f"@ 300 IN SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 60\n@ 300 IN NS ns\n"


TEST_ZONES: dict[str, str] = {
    BL_ZONE: _soa(BL_ZONE) + (
        f"{'.'.join(reversed(LISTED_V4.split('.')))} 60 IN A 127.0.0.2\n"
        f"{'.'.join(reversed(LISTED_V4.split('.')))} 60 IN A 127.0.0.4\n"
        f"{'.'.join(reversed(LISTED_V4.split('.')))} 60 IN TXT \"listed for tests\"\n"
        f"{_reverse_v6(LISTED_V6)} 60 IN A 127.0.0.3\n"
        f"{'.'.join(reversed(REFUSED_V4.split('.')))} 60 IN A 127.255.255.254\n"
        "2.0.0.127 60 IN A 127.0.0.2\n"
    ),
    BL_ZONE_V4ONLY: _soa(BL_ZONE_V4ONLY) + (
        f"{'.'.join(reversed(LISTED_V4.split('.')))} 60 IN A 127.0.0.2\n"
        f"{_reverse_v6(LISTED_V6)} 60 IN A 127.0.0.2\n"
    ),
    WALLET_RAW_ZONE: _soa(WALLET_RAW_ZONE) + f"{WALLET_RAW_LISTED} 60 IN A 127.0.0.2\n",
    WALLET_SHA1_ZONE: _soa(WALLET_SHA1_ZONE) + f"{WALLET_SHA1} 60 IN A 127.0.4.1\n",
    "spf-pass.test": _soa("spf-pass.test") + (
        f'@ 60 IN TXT "v=spf1 ip4:{SPF_ALLOWED_V4} include:_spf.spf-pass.test -all"\n'
        f'_spf 60 IN TXT "v=spf1 ip4:{SPF_INCLUDED_V4} -all"\n'
        "@ 60 IN MX 10 mx\n"
        f"mx 60 IN A {SPF_ALLOWED_V4}\n"
    ),
    "spf-fail.test": _soa("spf-fail.test") + (
        '@ 60 IN TXT "v=spf1 -all"\n'
        "@ 60 IN MX 10 mx.spf-pass.test.\n"
    ),
    "softfail.test": _soa("softfail.test") + '@ 60 IN TXT "v=spf1 ~all"\n@ 60 IN A 45.33.32.9\n',
    "nomail.test": _soa("nomail.test") + '@ 60 IN TXT "nothing here"\n',
    "nullmx.test": _soa("nullmx.test") + "@ 60 IN MX 0 .\n@ 60 IN A 45.33.32.10\n",
    "aonly.test": _soa("aonly.test") + "@ 60 IN A 45.33.32.11\n",
    # Under "test." only these zones exist: any other name (doesnotexist.test) is NXDOMAIN.
    "test": _soa("test"),
}


class DnsTestServer:
    """Authoritative for `zones` on 127.0.0.1:<random port>, UDP only."""

    def __init__(self, zones: dict[str, str] | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.zones = {
            dns.name.from_text(origin): dns.zone.from_text(text, origin=origin, relativize=False)
            for origin, text in (zones if zones is not None else TEST_ZONES).items()
        }
        self.host = host
        self.drop_all = False  # receive and count, never answer
        self.servfail_all = False
        self.drop: set[str] = set()  # names (no trailing dot, lower case) never answered
        self.servfail: set[str] = set()  # names answered with SERVFAIL
        self.delay: dict[str, float] = {}  # names answered only after this many seconds
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((host, port))
        self._sock.settimeout(0.1)
        self.port: int = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="dns-test-server", daemon=True)

    # --- control ------------------------------------------------------------------------

    def start(self) -> DnsTestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self._sock.close()

    def __enter__(self) -> DnsTestServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def queries(self, name: str | None = None, rdtype: str | None = None) -> int:
        """Packets received, all or for one name (and type)."""
        key_name = name.rstrip(".").lower() if name else None
        with self._lock:
            return sum(count for (n, t), count in self._counts.items()
                       if (key_name is None or n == key_name) and (rdtype is None or t == rdtype))

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    # --- serving ------------------------------------------------------------------------

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            try:
                query = dns.message.from_wire(data)
            except Exception:
                continue
            if not query.question:
                continue
            question = query.question[0]
            name = question.name.to_text(omit_final_dot=True).lower()
            with self._lock:
                self._counts[(name, dns.rdatatype.to_text(question.rdtype))] += 1
            if self.drop_all or name in self.drop:
                continue
            wire = self._answer(query).to_wire()
            if name in self.delay:
                threading.Timer(self.delay[name], self._send, (wire, peer)).start()
            else:
                self._send(wire, peer)

    def _send(self, wire: bytes, peer: tuple[str, int]) -> None:
        try:
            self._sock.sendto(wire, peer)
        except OSError:
            pass

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        if self.servfail_all or name in self.servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        zone = self._zone_for(question.name)
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return response
        qname, rdtype = question.name, question.rdtype
        for _ in range(8):  # follow CNAMEs inside our zones
            zone = self._zone_for(qname)
            node = zone.get_node(qname) if zone is not None else None
            if node is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
                break
            rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype)
            if rdataset is not None:
                rrset = dns.rrset.RRset(qname, dns.rdataclass.IN, rdtype)
                rrset.update(rdataset)
                response.answer.append(rrset)
                return response
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname is None or rdtype == dns.rdatatype.CNAME:
                break  # no data
            rrset = dns.rrset.RRset(qname, dns.rdataclass.IN, dns.rdatatype.CNAME)
            rrset.update(cname)
            response.answer.append(rrset)
            qname = next(iter(cname)).target  # type: ignore[attr-defined]
        if zone is not None:  # negative answer: SOA for negative caching (RFC 2308)
            soa = zone.get_rdataset(zone.origin, dns.rdatatype.SOA)
            if soa is not None:
                rrset = dns.rrset.RRset(zone.origin, dns.rdataclass.IN, dns.rdatatype.SOA)
                rrset.update(soa)
                response.authority.append(rrset)
        return response

    def _zone_for(self, qname: dns.name.Name) -> dns.zone.Zone | None:
        best: tuple[int, dns.zone.Zone] | None = None
        for origin, zone in self.zones.items():
            if qname.is_subdomain(origin) and (best is None or len(origin) > best[0]):
                best = (len(origin), zone)
        return best[1] if best else None


@pytest.fixture
def dns_server() -> Iterator[DnsTestServer]:
    """The test zones served on a fresh loopback port."""
    with DnsTestServer() as server:
        yield server


@pytest.fixture
def dead_dns_server() -> Iterator[DnsTestServer]:
    """A server that receives queries and never answers."""
    with DnsTestServer() as server:
        server.drop_all = True
        yield server


def main() -> None:
    """`python -m tests.dnsserver [--drop]`: serve the test zones until killed, printing
    the port first (the bench runs the server in its own process, off its GIL)."""
    import sys

    server = DnsTestServer()
    server.drop_all = "--drop" in sys.argv[1:]
    print(server.port, flush=True)
    server._serve()


if __name__ == "__main__":
    main()

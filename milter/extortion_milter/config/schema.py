"""The configuration: typed sections with their built-in defaults.

`config.example.yaml` at the top of the repository spells out exactly these defaults;
a test keeps the two equal. Validation (unknown keys, wrong types, bad choices) is done
by `loader.py` from the type hints here, so adding a key is adding a field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Thresholds:
    tag: float = 5.0
    quarantine: float = 10.0
    reject: float = 15.0


@dataclass(frozen=True)
class RulesConfig:
    # Empty means the rule packs shipped with extortion-milter.
    paths: tuple[str, ...] = ()
    # Admin overrides (scores, disable, extra rules); a missing directory is fine.
    local_dir: str = "/etc/extortion-milter/local.d"


@dataclass(frozen=True)
class LimitsConfig:
    max_message_bytes: int = 10 * 1024 * 1024
    max_part_bytes: int = 1024 * 1024
    max_text_chars: int = 256 * 1024
    max_parts: int = 200
    max_pdf_pages: int = 10
    max_pdf_bytes: int = 5 * 1024 * 1024
    max_addresses: int = 50


@dataclass(frozen=True)
class TagConfig:
    add_headers: bool = True
    # Put in front of the Subject of tagged (and monitor-mode) messages; empty turns it off.
    subject_prefix: str = "[SUSPECTED EXTORTION]"


@dataclass(frozen=True)
class RejectConfig:
    # {queue_id} is replaced by the Postfix queue id, so users can quote a reference.
    message: str = "Message refused as extortion spam (ref {queue_id})"


@dataclass(frozen=True)
class ReleaseConfig:
    # The MTA `quarantine release` re-injects mail into by SMTP. Its milter must use this
    # store (normally this host's Postfix) to recognize the release token.
    host: str = "127.0.0.1"
    port: int = 25
    helo: str = ""  # empty: this host's name
    starttls: bool = False
    username: str = ""  # SMTP AUTH when set
    password_file: str = ""  # its first line is the password
    timeout: float = 60.0


@dataclass(frozen=True)
class QuarantineConfig:
    # store: our own store in `directory` (reviewed with `extortion-milter quarantine`);
    # hold: the MTA's hold queue (postqueue -p, postsuper -H).
    backend: Literal["hold", "store"] = "store"
    # Created 0700 at start, owned by the user the milter runs as.
    directory: str = "/var/lib/extortion-milter/quarantine"
    # Postfix config directory for `postqueue -c` (hold backend listing); empty: the default.
    postfix_config_dir: str = ""
    release: ReleaseConfig = field(default_factory=ReleaseConfig)


@dataclass(frozen=True)
class DecisionLogConfig:
    # Every verdict as one JSON line; reopened when rotated. Empty turns it off.
    path: str = "/var/log/extortion-milter/decisions.log"


@dataclass(frozen=True)
class AllowConfig:
    skip_authenticated: bool = True
    # CIDRs whose mail is not scanned (e.g. your own submission hosts). Empty by default:
    # loopback is not trusted, so a content filter in front of the milter still gets scanned.
    trusted_networks: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()  # envelope senders (addr or @domain) never scanned
    recipients: tuple[str, ...] = ()  # envelope recipients (addr or @domain) never scanned


@dataclass(frozen=True)
class LoggingConfig:
    level: Literal["debug", "info", "warning", "error"] = "info"
    target: Literal["stderr", "syslog"] = "stderr"
    format: Literal["text", "json"] = "text"
    syslog_facility: str = "mail"


@dataclass(frozen=True)
class DnsblZone:
    # A client-IP blocklist: the client's address is looked up as <reversed ip>.<zone>.
    zone: str = ""
    # Whether the list answers IPv6 queries (32 reversed nibbles); false skips IPv6 clients.
    ipv6: bool = True


@dataclass(frozen=True)
class WalletZone:
    # A crypto-address blocklist: each checksum-valid address is looked up under the zone.
    zone: str = ""
    # raw: <address>.<zone>; sha1: <40 hex digits of SHA-1(address)>.<zone> (docs/dns.md).
    label: Literal["raw", "sha1"] = "sha1"
    # Only look up these currencies (btc, ltc, doge, bch, eth, trx, xmr); empty: all.
    currencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpfConfig:
    # Check SPF for messages whose From is also a recipient (the "sent from your own
    # account" scam); a failure is scored by the DNS_SELF_SENT_SPF_FAIL rule.
    enabled: bool = True
    # dns: evaluate SPF here (pyspf over our resolver);
    # authentication-results: trust the spf= result in the Authentication-Results header
    # whose authserv-id is `authserv_id` (added by your own MTA or SPF policy service).
    source: Literal["dns", "authentication-results"] = "dns"
    authserv_id: str = ""


@dataclass(frozen=True)
class DnsConfig:
    enabled: bool = True
    # Resolvers to ask (IP addresses); empty: the system's (/etc/resolv.conf).
    nameservers: tuple[str, ...] = ()
    port: int = 53
    # Longest wait for DNS answers at the end of a message, for all lookups together.
    budget_ms: int = 500
    # Answers kept (TTL-respecting, negative answers included); 0 turns the cache off.
    cache_size: int = 10000
    # Lookups in flight at once across all connections.
    max_concurrent: int = 32
    # None by default: public lists refuse queries from big shared resolvers.
    client_blocklists: tuple[DnsblZone, ...] = ()
    wallet_blocklists: tuple[WalletZone, ...] = ()
    max_wallet_lookups: int = 10  # addresses looked up per message (per zone)
    spf: SpfConfig = field(default_factory=SpfConfig)
    # Look up the envelope sender's domain: NXDOMAIN or no MX/A/AAAA is a weak signal.
    sender_domain: bool = True


@dataclass(frozen=True)
class Config:
    # enforce: act on the thresholds; monitor: only log and tag, for a first deployment.
    mode: Literal["enforce", "monitor"] = "enforce"
    # What to do with a message when scanning it fails unexpectedly.
    on_error: Literal["accept", "tempfail"] = "accept"
    # libmilter syntax: unix:/path or inet:PORT@HOST.
    socket: str = "unix:/run/extortion-milter/milter.sock"
    socket_mode: str = "0660"
    socket_group: str = ""
    # When started as root, switch to this user after creating the socket.
    user: str = ""
    thresholds: Thresholds = field(default_factory=Thresholds)
    rules: RulesConfig = field(default_factory=RulesConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    tag: TagConfig = field(default_factory=TagConfig)
    reject: RejectConfig = field(default_factory=RejectConfig)
    quarantine: QuarantineConfig = field(default_factory=QuarantineConfig)
    decision_log: DecisionLogConfig = field(default_factory=DecisionLogConfig)
    allow: AllowConfig = field(default_factory=AllowConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    dns: DnsConfig = field(default_factory=DnsConfig)
    # Where the config was read from, for messages; not a YAML key.
    source: str = field(default="<built-in defaults>", compare=False, metadata={"internal": True})

"""Requests the tool makes to URLs a platform gave it.

A platform names URLs the tool then calls on its own: the OpenID configuration and
registration endpoint of Dynamic Registration, the key set, the token endpoint, the AGS and
NRPS services. Whoever controls those URLs could point the tool at its own network (a cloud
metadata service, an admin port on localhost), so every such request goes through
:func:`fetch`:

- ``https`` only; plain ``http`` only in development mode and in tests;
- the host name is resolved and every address it resolves to must be public (not loopback,
  private, link-local, multicast, reserved, unspecified or shared CGNAT space, also when
  written as IPv4-mapped IPv6), unless the operator allows the host or its network with the
  ``outbound_allow`` setting; development mode and tests also allow loopback;
- the connection goes to the very address that was checked, so a DNS answer that changes
  between the check and the connection cannot slip through;
- redirects are not followed and the body is read only up to a limit.

Failures are :class:`OutboundError` with a message in the tool's words: never the remote
reply's text, which could be another service's answer relayed to whoever asked.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import typing as t
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from flask import Flask
from flask import current_app
from flask import has_app_context
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.connectionpool import HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError
from urllib3.exceptions import NameResolutionError
from urllib3.exceptions import NewConnectionError
from urllib3.poolmanager import PoolManager
from urllib3.util import connection as urllib3_connection

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
#: Larger answers are refused unread: a configuration or a key set is a few kilobytes.
MAX_BODY_BYTES = 512 * 1024
#: App config key that tests set to False to see the production rules on loopback servers.
ALLOW_LOOPBACK_KEY = "OUTBOUND_ALLOW_LOOPBACK"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
#: Shared address space of carrier-grade NAT (RFC 6598): inside a provider, never public.
CGNAT = ipaddress.ip_network("100.64.0.0/10")
_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*$"
)


class OutboundError(Exception):
    """A request to a platform-given URL was refused or failed; the message says why."""


class AddressRefused(OutboundError):
    """The URL's host resolves to an address the tool does not connect to."""


class BodyTooLarge(OutboundError):
    """The answer is larger than the tool reads."""


def parse_allow(text: str) -> tuple[frozenset[str], tuple[Network, ...]]:
    """The host names and networks of an ``outbound_allow`` value (comma-separated).

    :raises ValueError: naming the first entry that is neither a host name nor a network.
    """
    hosts: set[str] = set()
    networks: list[Network] = []
    for entry in (part.strip().lower() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
            continue
        except ValueError:
            pass
        if not _HOST_NAME.match(entry.rstrip(".")):
            raise ValueError(f"{entry!r} is neither a host name nor an address or CIDR network")
        hosts.add(entry.rstrip("."))
    return frozenset(hosts), tuple(networks)


def _public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in CGNAT:
        return False
    refused = (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
    return not refused and address.is_global


def _loopback(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


@dataclass(frozen=True)
class OutboundRules:
    """What the tool may connect to; see the module's docstring."""

    plain_http: bool = False
    loopback: bool = False
    hosts: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    def schemes(self) -> tuple[str, ...]:
        return ("http", "https") if self.plain_http else ("https",)

    def host_allowed(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def address_allowed(self, address: Address) -> bool:
        if any(address in network for network in self.networks):
            return True
        if self.loopback and _loopback(address):
            return True
        return _public(address)


def rules_for(app: Flask) -> OutboundRules:
    """The rules *app*'s settings give: development mode and tests may use http and loopback."""
    development = app.config.get("MODE") == "development" or bool(app.testing)
    hosts, networks = parse_allow(str(app.config.get("OUTBOUND_ALLOW") or ""))
    return OutboundRules(
        plain_http=development,
        loopback=bool(app.config.get(ALLOW_LOOPBACK_KEY, development)),
        hosts=hosts,
        networks=networks,
    )


def current_rules() -> OutboundRules:
    # Outside an application there are no settings to relax anything with.
    return rules_for(current_app) if has_app_context() else OutboundRules()


def checked_addresses(host: str, port: int, rules: OutboundRules) -> list[tuple[t.Any, ...]]:
    """``getaddrinfo`` answers for *host*, every one of them allowed by *rules*.

    :raises AddressRefused: when any address is not allowed; one bad answer among good ones
        is refused too, since which one gets used is not ours to choose.
    :raises socket.gaierror: when the name does not resolve.
    """
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if rules.host_allowed(host):
        return answers
    for answer in answers:
        address = ipaddress.ip_address(str(answer[4][0]).split("%", 1)[0])
        if not rules.address_allowed(address):
            log.warning("outbound request to %s refused: it resolves to %s", host, address)
            raise AddressRefused(f"{host} resolves to an address that is not allowed")
    return answers


class _CheckedConnection(HTTPConnection):
    outbound_rules: OutboundRules = OutboundRules()

    def _new_conn(self) -> socket.socket:
        host = self._dns_host
        try:
            answers = checked_addresses(host, self.port, self.outbound_rules)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        failure: OSError | None = None
        for answer in answers:
            # Connecting to the literal address keeps the checked answer: no second lookup.
            try:
                return urllib3_connection.create_connection(
                    (str(answer[4][0]), self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                raise ConnectTimeoutError(self, f"connecting to {host} timed out") from exc
            except OSError as exc:
                failure = exc
        raise NewConnectionError(self, f"could not connect to {host}: {failure}")


class _CheckedHTTPSConnection(_CheckedConnection, HTTPSConnection):
    """TLS still names the host (SNI, certificate check); only the socket uses the address."""


class _CheckedPoolMixin:
    """Hands the pool's rules to every connection it opens."""

    outbound_rules: OutboundRules = OutboundRules()

    def _new_conn(self) -> t.Any:
        connection = super()._new_conn()  # type: ignore[misc]
        connection.outbound_rules = self.outbound_rules
        return connection


class _CheckedPool(_CheckedPoolMixin, HTTPConnectionPool):
    ConnectionCls = _CheckedConnection


class _CheckedHTTPSPool(_CheckedPoolMixin, HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedPoolManager(PoolManager):
    def __init__(self, rules: OutboundRules, **kwargs: t.Any) -> None:
        super().__init__(**kwargs)
        self.outbound_rules = rules
        self.pool_classes_by_scheme = {"http": _CheckedPool, "https": _CheckedHTTPSPool}

    def _new_pool(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        pool = super()._new_pool(*args, **kwargs)
        # Only the checked pool classes pass the rules on; any other would connect unchecked.
        if not isinstance(pool, _CheckedPoolMixin):
            raise OutboundError(f"no checked connection pool for {pool.scheme}")
        pool.outbound_rules = self.outbound_rules
        return pool


class _CheckedAdapter(HTTPAdapter):
    def __init__(self, rules: OutboundRules) -> None:
        self.outbound_rules = rules
        super().__init__(max_retries=0)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **kwargs: t.Any
    ) -> None:
        self.poolmanager = _CheckedPoolManager(
            self.outbound_rules, num_pools=connections, maxsize=maxsize, block=block, **kwargs
        )


def origin_of(url: str | None) -> str | None:
    """The ``scheme://host[:port]`` of an http(s) *url*, as written; None for anything else."""
    parts = urlsplit(url or "")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def check_url(url: str, rules: OutboundRules) -> str:
    """The URL's host, when its scheme is one *rules* allow.

    :raises OutboundError: for another scheme or a URL without host.
    """
    parts = urlsplit(url)
    if parts.scheme not in rules.schemes() or not parts.hostname:
        wanted = " or ".join(f"{scheme}://" for scheme in rules.schemes())
        raise OutboundError(f"only {wanted} URLs are fetched")
    return parts.hostname


def fetch(
    method: str,
    url: str,
    *,
    rules: OutboundRules | None = None,
    max_bytes: int = MAX_BODY_BYTES,
    timeout: float = TIMEOUT_SECONDS,
    **kwargs: t.Any,
) -> requests.Response:
    """One request to a platform-given *url* under *rules* (the app's, by default).

    *kwargs* go to :meth:`requests.Session.request` (``headers``, ``params``, ``json``,
    ``data``). The answer is returned whatever its status, read to the end: a redirect is
    an answer like any other, not followed.

    :raises OutboundError: the URL or its address is not allowed, the connection failed or
        timed out, or the body is larger than *max_bytes*.
    """
    rules = current_rules() if rules is None else rules
    host = check_url(url, rules)
    kwargs.pop("allow_redirects", None)
    kwargs.pop("stream", None)
    with requests.Session() as session:
        # Proxy settings from the environment would make the checked address the proxy's.
        session.trust_env = False
        adapter = _CheckedAdapter(rules)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        try:
            response = session.request(
                method, url, allow_redirects=False, stream=True, timeout=timeout, **kwargs
            )
        except requests.Timeout:
            raise OutboundError(f"{host} did not answer in time") from None
        except requests.exceptions.SSLError:
            raise OutboundError(f"the TLS connection to {host} could not be verified") from None
        except requests.RequestException as exc:
            log.warning("outbound %s %s failed: %s", method, url, exc)
            raise OutboundError(f"could not connect to {host}") from None
        with response:
            try:
                body = response.raw.read(max_bytes + 1, decode_content=True)
            except Exception as exc:  # urllib3 raises several unrelated types while reading
                log.warning("outbound %s %s: reading the answer failed: %s", method, url, exc)
                raise OutboundError(f"the answer from {host} could not be read") from None
    if len(body) > max_bytes:
        raise BodyTooLarge(f"the answer from {host} is larger than the tool accepts")
    response._content = body
    # requests keeps this flag private and its stubs leave it out, but it must be set along
    # with _content for the body read here to count as the whole answer.
    response._content_consumed = True  # type: ignore[attr-defined]
    return response


def excerpt(response: requests.Response, limit: int = 200) -> str:
    """The start of an answer's text, for a log line (never for a page)."""
    return response.content[:limit].decode("utf-8", "replace").replace("\n", " ")

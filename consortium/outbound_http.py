"""HTTP requests to addresses that members give the portal (their ISO 18626 endpoints).

A member's URL is a request the portal makes on a stranger's word (server-side request
forgery): it must not reach anything inside the portal's own network. So the host is
resolved once, every address it resolves to is checked, and the connection goes to the
checked address itself, with the URL's host kept in the Host header and, for https, in
the TLS server name and the certificate check. A name that answers a public address to
the check and 127.0.0.1 to the connection (DNS rebinding) reaches nothing inside, and no
redirect is followed (the peer's 3xx is returned as it is; the caller refuses it).

urllib3 does the HTTP: its connection pools take
the address to connect to apart from the name to present (``server_hostname``,
``assert_hostname``); the standard library's http.client cannot verify a certificate
against a name other than the one it connects to.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.utils.translation import gettext_lazy as _

from consortium.exceptions import DomainError, ErrorCode

ENDPOINT_NOT_HTTP = _("“{url}” is not an http:// or https:// address.")
ENDPOINT_UNKNOWN_HOST = _("“{url}”: the host {host} could not be found ({detail}).")
ENDPOINT_NOT_PUBLIC = _(
    "“{url}”: {host} resolves to {address}, which is not a public address ({kind}); "
    "only addresses on the public internet are allowed."
)
ENDPOINT_UNREACHABLE = _("{address} (for {host}): {detail}")

# Why an address is not one the portal may call, the first that applies, in this order.
KIND_LOOPBACK = _("loopback")
KIND_UNSPECIFIED = _("unspecified")
KIND_LINK_LOCAL = _("link-local")
KIND_MULTICAST = _("multicast")
KIND_PRIVATE = _("private or special-purpose")
KIND_RESERVED = _("reserved")
KIND_IPV4_IN_IPV6 = _("an IPv4 address written as IPv6")
KIND_NOT_GLOBAL = _("not globally routed")
KIND_EMBEDS = _("carries the IPv4 address {address}, which is {kind}")

# NAT64 prefixes (RFC 6052, RFC 8215): the last 32 bits are the IPv4 address reached.
NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class EndpointRefused(DomainError):
    """The URL may never be called as it stands: not http(s), unknown host, or not public."""

    code = ErrorCode.ENDPOINT_REFUSED


class HostNotFound(EndpointRefused):
    """The host has no address now: a typing error when saved, maybe a DNS outage later."""


class EndpointUnreachable(Exception):
    """The checked address did not answer (refused, timed out, TLS failed): try again later."""


@dataclass(frozen=True)
class Endpoint:
    """A URL resolved and checked: where the request goes, and the name it is made for."""

    url: str
    scheme: str
    host: str  # the URL's host name: Host header, TLS server name, certificate check
    port: int
    address: str  # the one checked address the connection goes to
    target: str  # path and query

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    location: str  # the Location header of a redirect, as sent


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address that a 6to4, Teredo or NAT64 address leads to."""
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address
    if any(address in prefix for prefix in NAT64_PREFIXES):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _shown(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """The address as people write it: an IPv4 address inside IPv6 in dotted form."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"::ffff:{address.ipv4_mapped}"
        if int(address) >> 32 == 0 and int(address) > 1:
            return f"::{ipaddress.IPv4Address(int(address))}"
    return str(address)


def address_refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why the portal may not connect to this address (a short label), or None if public."""
    # ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible) connect to the IPv4 address
    # itself; no public name needs them (it has an A record), so both are refused.
    if isinstance(address, ipaddress.IPv6Address) and (
        address.ipv4_mapped is not None or (int(address) >> 32 == 0 and int(address) > 1)
    ):
        return str(KIND_IPV4_IN_IPV6)
    for refused, kind in (
        (address.is_loopback, KIND_LOOPBACK),
        (address.is_unspecified, KIND_UNSPECIFIED),
        (address.is_link_local, KIND_LINK_LOCAL),
        (address.is_multicast, KIND_MULTICAST),
        (address.is_reserved, KIND_RESERVED),
        (address.is_private, KIND_PRIVATE),
        (getattr(address, "is_site_local", False), KIND_PRIVATE),
        (not address.is_global, KIND_NOT_GLOBAL),
    ):
        if refused:
            return str(kind)
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None and (inner_kind := address_refusal(inner)):
            return str(KIND_EMBEDS).format(address=inner, kind=inner_kind)
    return None


def endpoint_resolve(url: str, *, allow_private: bool) -> Endpoint:
    """Resolve the URL's host once and check every address; the endpoint to connect to.

    ``allow_private`` (development and tests, whose peers listen on 127.0.0.1) skips the
    address check only; the connection still goes to the address resolved here.
    """
    parts = urlsplit((url or "").strip())
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = None
    if parts.scheme not in ("http", "https") or not parts.hostname or port is None:
        raise EndpointRefused(str(ENDPOINT_NOT_HTTP).format(url=url), code=ErrorCode.ENDPOINT_NOT_HTTP)
    host = parts.hostname
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise HostNotFound(
            str(ENDPOINT_UNKNOWN_HOST).format(url=url, host=host, detail=exc),
            code=ErrorCode.ENDPOINT_UNKNOWN_HOST,
        ) from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise HostNotFound(
            str(ENDPOINT_UNKNOWN_HOST).format(url=url, host=host, detail="no address"),
            code=ErrorCode.ENDPOINT_UNKNOWN_HOST,
        )
    if not allow_private:
        # Every address is checked, not only the one used: a name that also answers an
        # inside address is not a public endpoint.
        for address in addresses:
            kind = address_refusal(address)
            if kind:
                raise EndpointRefused(
                    str(ENDPOINT_NOT_PUBLIC).format(url=url, host=host, address=_shown(address), kind=kind),
                    code=ErrorCode.ENDPOINT_NOT_PUBLIC,
                )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Endpoint(
        url=url, scheme=parts.scheme, host=host, port=port, address=str(addresses[0]), target=target
    )


def endpoint_post(
    endpoint: Endpoint, *, body: bytes, headers: dict[str, str], timeout: float, max_bytes: int
) -> Answer:
    """POST to the checked address; never follows a redirect, never retries.

    Reads at most ``max_bytes + 1`` bytes of the answer, so a caller can tell one too large.
    """
    if endpoint.scheme == "https":
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            endpoint.address,
            endpoint.port,
            cert_reqs="CERT_REQUIRED",
            server_hostname=endpoint.host,  # SNI: the name, not the address
            assert_hostname=endpoint.host,  # the certificate must be the name's
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            retries=False,
            maxsize=1,
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            endpoint.address,
            endpoint.port,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            retries=False,
            maxsize=1,
        )
    try:
        response = pool.urlopen(
            "POST",
            endpoint.target,
            body=body,
            headers={**headers, "Host": endpoint.host_header},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            data = response.read(max_bytes + 1)
        finally:
            response.release_conn()
        return Answer(status=response.status, body=data, location=response.headers.get("Location", ""))
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        detail = getattr(exc, "reason", None) or exc
        raise EndpointUnreachable(
            str(ENDPOINT_UNREACHABLE).format(address=endpoint.address, host=endpoint.host, detail=detail)
        ) from exc
    finally:
        pool.close()

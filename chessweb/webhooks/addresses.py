"""Where a webhook may be sent: only to public internet addresses, unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES is on.

An organizer chooses the URL, and ChessWeb's server makes the request, so without this check a webhook could be
aimed at the server's own loopback services, the hosting network (10.x, fc00::/7) or a cloud metadata service
(169.254.169.254): server-side request forgery. The rule is checked twice: when the URL is registered (a form
error), and on every delivery, where the host is resolved again, *every* address it resolves to must be public,
and the connection is made to one of those checked addresses (not to the name, which could resolve elsewhere a
moment later: DNS rebinding). Redirects are never followed (delivery.py).

Classification uses the standard library's `ipaddress` flags, which follow the IANA special-purpose address
registries (RFC 6890 and its updates).
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedAddress(ValueError):
    """The URL's host is, or resolves to, an address webhooks may not go to; str() says which and why."""


def refusal(address: IPAddress) -> str | None:
    """Why `address` is not a public internet address (e.g. "a loopback address"), or None if it is one.

    IPv6 forms that carry an IPv4 address (::ffff:a.b.c.d, 6to4 2002::/16, Teredo) are judged by that IPv4
    address too, so 127.0.0.1 cannot be reached under another spelling."""
    embedded = [a for a in (getattr(address, "ipv4_mapped", None), getattr(address, "sixtofour", None),
                            (getattr(address, "teredo", None) or (None, None))[1]) if a is not None]
    for inner in embedded:
        reason = refusal(inner)
        if reason:
            return reason
    if address.is_unspecified:
        return "the unspecified address (it means this machine)"
    if address.is_loopback:
        return "a loopback address (this machine)"
    if address.is_link_local:
        return "a link-local address (where cloud metadata services answer)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private-network address"
    if not address.is_global:
        return "not a public internet address"
    return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` stands for (an IP literal: itself), in the resolver's order, without repeats.

    Raises RefusedAddress if the name cannot be resolved."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedAddress(f"The host name {host} could not be resolved ({exc}).") from exc
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in found:
            found.append(address)
    if not found:
        raise RefusedAddress(f"The host name {host} has no address.")
    return found


def checked_addresses(url: str, allow_private: bool) -> list[IPAddress]:
    """The addresses to connect to for `url` (http or https): all of the host's addresses, once each of them
    is known to be public. With `allow_private` (tests, a closed network) every address is accepted.

    Raises RefusedAddress, whose message names the host, the address and its kind, if the name does not
    resolve or if any address it resolves to is not public."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(host, port)
    if allow_private:
        return addresses
    for address in addresses:
        reason = refusal(address)
        if reason:
            literal = len(addresses) == 1 and _is_literal(host)
            subject = host if literal else f"{host} resolves to {address}, which"
            raise RefusedAddress(f"Webhooks are sent only to public internet addresses: {subject} is {reason}.")
    return addresses


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True

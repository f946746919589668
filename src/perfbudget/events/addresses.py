"""Where events may be sent (issue 12): to public addresses only, so a subscription cannot
make the deliverer reach into the bureau's own network (cloud metadata, loopback services,
the intranet). A host listed in PERFBUDGET_EVENT_ALLOWED_HOSTS is trusted as it is.

The same rule refuses a subscription and, at delivery time, a connection: DNS may change."""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from perfbudget.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# IPv6 forms that carry an IPv4 address a packet may end up at
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


@dataclass(frozen=True)
class Refusal:
    summary: str  # what the delivery log says; never echoes the target
    en: str
    zh: str


def _normalised(host: str) -> str:
    host = host.strip().strip("[]").lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or address in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _is_public(address: IPAddress) -> bool:
    """Not loopback, link-local, private, unspecified, reserved or shared (IANA's
    special-purpose registries, which ``is_global`` follows), and not multicast."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and not _is_public(embedded):
            return False
    return address.is_global and not address.is_multicast


def _resolve(host: str, scheme: str, port: int | None) -> list[IPAddress]:
    port = port or (443 if scheme == "https" else 80)
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in infos]


def refusal(url: str, settings: Settings) -> Refusal | None:
    """Why events may not go to this absolute http(s) URL, or None when they may."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.username is not None or parts.password is not None:
        return Refusal(
            "credentials in URL",
            "The subscription URL must not carry a user name or password; receivers "
            "authenticate events by their signature.",
            "订阅地址不得包含用户名或密码；接收方应以签名验证事件。",
        )
    if settings.is_production and parts.scheme != "https":
        return Refusal(
            "https required",
            "In production events are sent over https only.",
            "生产环境中事件只通过 https 发送。",
        )
    if _normalised(host) in {_normalised(allowed) for allowed in settings.event_allowed_hosts}:
        return None
    try:
        addresses = _resolve(host, parts.scheme, parts.port)
    except (OSError, ValueError):  # gaierror; a name IDNA cannot encode
        return Refusal(
            "host does not resolve",
            f"The host {host} does not resolve to an address.",
            f"主机 {host} 无法解析为地址。",
        )
    if not addresses or not all(_is_public(address) for address in addresses):
        return Refusal(
            "address refused",
            f"The host {host} is or resolves to a loopback, private, link-local, multicast or "
            "reserved address; events go only to public addresses or to hosts listed in "
            "PERFBUDGET_EVENT_ALLOWED_HOSTS.",
            f"主机 {host} 为（或解析为）本机、内网、链路本地、组播或保留地址；事件只发送至"
            "公网地址或 PERFBUDGET_EVENT_ALLOWED_HOSTS 所列主机。",
        )
    return None

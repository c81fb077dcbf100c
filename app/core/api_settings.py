"""The local API server's settings: where it listens, what it keeps, who may call it.

Plain data in settings.json under ``"api"``. The bearer token is not here: like a
provider's key it lives only in the OS keyring (entry ``API_TOKEN_ID``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

API_TOKEN_ID = "api-server"  # the keyring entry of the server's bearer token
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


@dataclass(frozen=True, slots=True)
class ApiSettings:
    enabled: bool = False  # the window starts the server with itself
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    store_conversations: bool = False  # False: an API request leaves usage only
    cors_origins: tuple[str, ...] = ()  # none: browsers on other sites cannot read replies
    # Names other than this computer's that requests may address it by (the Host header),
    # for a server other machines reach: "host.docker.internal", "studio.local".
    allowed_hosts: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "host": self.host, "port": self.port,
                "store_conversations": self.store_conversations,
                "cors_origins": list(self.cors_origins), "allowed_hosts": list(self.allowed_hosts)}

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    """A name or address only this computer reaches (127.0.0.0/8, ::1, localhost)."""
    host = host.strip().strip("[]").lower().rstrip(".")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_api(value: object, problems: list[str]) -> ApiSettings:
    """``value`` from settings.json; each field that makes no sense is reset and named."""
    defaults = ApiSettings()
    if not isinstance(value, dict):
        problems.append("api: expected an object")
        return defaults
    chosen: dict[str, Any] = {}
    for name in ("enabled", "store_conversations"):
        if name in value:
            if isinstance(value[name], bool):
                chosen[name] = value[name]
            else:
                problems.append(f"api.{name}: expected true or false")
    if "host" in value:
        host = value["host"]
        if isinstance(host, str) and host.strip() and len(host) <= 253 and " " not in host.strip():
            chosen["host"] = host.strip()
        else:
            problems.append("api.host: expected a host name or address")
    if "port" in value:
        port = value["port"]
        if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535:
            chosen["port"] = port
        else:
            problems.append("api.port: expected a port number from 1 to 65535")
    if "cors_origins" in value:
        origins = value["cors_origins"]
        if isinstance(origins, list) and all(isinstance(o, str) and o.strip() for o in origins):
            chosen["cors_origins"] = tuple(dict.fromkeys(o.strip().rstrip("/") for o in origins))
        else:
            problems.append("api.cors_origins: expected a list of origins (https://host:port)")
    if "allowed_hosts" in value:
        names = value["allowed_hosts"]
        if isinstance(names, list) and all(isinstance(n, str) and n.strip() and " " not in n.strip()
                                           for n in names):
            chosen["allowed_hosts"] = tuple(dict.fromkeys(n.strip().lower() for n in names))
        else:
            problems.append("api.allowed_hosts: expected a list of host names")
    return ApiSettings(**chosen)

"""Abuse limits: log-in attempts per client address and per account, sign-ups per client address.

The counting is the `limits` library's (a moving window: "10 a minute" is any 60 seconds, with no
window edge to burst across), in Redis when `REDIS_URL` is set, so that every worker and instance
shares one count, and in this process's memory otherwise. A limit that cannot be counted is not
enforced: Redis going away costs one warning in the log, never an error for the client, and the
limits apply again as soon as it answers.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from dataclasses import dataclass
from enum import StrEnum

import limits
import redis.asyncio
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from starlette.requests import HTTPConnection

from kaira.config import Settings
from kaira.errors import DomainError

log = logging.getLogger("kaira.limits")

REDIS_TIMEOUT_SECONDS = 0.5
"""How long a count may wait for Redis before the request goes on without it."""
RETRY_REDIS_SECONDS = 1.0
"""While Redis is away, how long requests skip it before one of them tries again."""
MAX_KEY_LENGTH = 100


class Limit(StrEnum):
    """Each limit, named as the metrics name it."""

    LOGIN_PER_ACCOUNT = "login_per_account"
    LOGIN_PER_ADDRESS = "login_per_address"
    SIGNUP_PER_ADDRESS = "signup_per_address"


class TooManyRequests(DomainError):
    status_code = 429

    def __init__(self, limit: Limit, retry_after: int) -> None:
        super().__init__("Too many requests")
        self.limit = limit
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class TrustedProxies:
    """`FORWARDED_ALLOW_IPS`: the peers whose `X-Forwarded-For` header is believed."""

    everyone: bool
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @classmethod
    def of(cls, proxies: list[str]) -> TrustedProxies:
        networks = tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies if proxy != "*")
        return cls(everyone="*" in proxies, networks=networks)

    def trust(self, host: str) -> bool:
        if self.everyone:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def client_address(self, connection: HTTPConnection) -> str:
        """The socket's peer; behind a trusted proxy, the right-most address in `X-Forwarded-For` that is
        not a trusted proxy itself (addresses left of it are whatever the client chose to write)."""
        peer = connection.client.host if connection.client else ""
        if not self.trust(peer):
            return peer[:MAX_KEY_LENGTH]
        hops = [
            hop.strip() for value in connection.headers.getlist("x-forwarded-for") for hop in value.split(",")
        ]
        hops = [hop for hop in hops if hop]
        untrusted = [hop for hop in hops if not self.trust(hop)]
        chosen = untrusted[-1] if untrusted else (hops[0] if hops else peer)
        return chosen[:MAX_KEY_LENGTH]


class AbuseLimits:
    """One per worker, kept in `app.state.limits`."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limits
        self.rates = {
            Limit.LOGIN_PER_ACCOUNT: limits.parse(settings.login_limit_per_account),
            Limit.LOGIN_PER_ADDRESS: limits.parse(settings.login_limit_per_address),
            Limit.SIGNUP_PER_ADDRESS: limits.parse(settings.signup_limit_per_address),
        }
        self.proxies = TrustedProxies.of(settings.forwarded_allow_ips)
        self.redis = (
            redis.asyncio.ConnectionPool.from_url(
                settings.redis_url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
            if settings.redis_url
            else None
        )
        self.storage = _storage(self.redis, settings.rate_limit_key_prefix)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.unavailable_until: float | None = None
        """Set while the storage (Redis) does not answer: the limits are skipped until then."""

    async def count(self, limit: Limit, key: str) -> None:
        """Count one attempt against `limit` for `key`; TooManyRequests past it."""
        if not self.enabled or self._resting():
            return
        rate = self.rates[limit]
        try:
            allowed = await self.limiter.hit(rate, limit.value, key[:MAX_KEY_LENGTH])
            retry_after = None if allowed else await self._retry_after(rate, limit, key)
        except (StorageError, OSError) as error:
            self._lost(error)
            return
        self._found()
        if retry_after is not None:
            raise TooManyRequests(limit, retry_after)

    async def _retry_after(self, rate: limits.RateLimitItem, limit: Limit, key: str) -> int:
        stats = await self.limiter.get_window_stats(rate, limit.value, key[:MAX_KEY_LENGTH])
        return max(1, math.ceil(stats.reset_time - time.time()))

    def _resting(self) -> bool:
        return self.unavailable_until is not None and time.monotonic() < self.unavailable_until

    def _lost(self, error: Exception) -> None:
        if self.unavailable_until is None:  # once per outage, not once per request
            cause = error.storage_error if isinstance(error, StorageError) else error
            log.warning(
                "Redis does not answer (%s): abuse limits are skipped until it does", type(cause).__name__
            )
        self.unavailable_until = time.monotonic() + RETRY_REDIS_SECONDS

    def _found(self) -> None:
        if self.unavailable_until is not None:
            log.info("Redis answers again: abuse limits apply")
            self.unavailable_until = None

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def _storage(pool: redis.asyncio.ConnectionPool | None, key_prefix: str) -> Storage:
    if pool is None:
        return MemoryStorage()
    # The pool is ours, so that it closes with the app; its URL is what `limits` would parse.
    return RedisStorage(
        "async+redis://",
        implementation="redispy",
        wrap_exceptions=True,
        key_prefix=key_prefix,
        connection_pool=pool,  # type: ignore[arg-type]  # documented, though typed as a scalar option
    )

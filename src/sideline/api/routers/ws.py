"""``/api/v1/ws``: live events over one authenticated WebSocket, with resume.

Protocol (JSON text frames; the web app depends on it):

- Authenticate with ``?token=<access token or API key>`` or, without it, a first message
  ``{"type": "auth", "token": ...}`` within 10 s. A bad, expired or revoked token closes the
  socket with code 4401 and a reason; so does the token expiring while connected (the client
  reconnects with a fresh token and ``since``, losing nothing). A later ``auth`` message with a
  fresh token of the same principal extends the connection instead. Every 5 minutes the token
  and the subscribed channels are checked again: a revoked key closes with 4401, a channel whose
  membership was removed ends with a ``not_found`` error for it.
- ``{"type": "subscribe", "channel": "org:<org_id>:jobs", "since": <int|null>}`` ->
  ``{"type": "subscribed", "channel", "seq": <latest>}``, then replayed (``seq > since``) and
  live ``{"type": "event", "channel", "seq", "event", "data"}``. When the events after ``since``
  are no longer buffered, or this connection falls too far behind, the server sends
  ``{"type": "gap", "channel", "seq", "reason"}``: reload the state; later events have seq > gap.seq.
- ``{"type": "unsubscribe", "channel"}``; ``{"type": "ping"}`` -> ``{"type": "pong"}``.
- ``org:<id>:...`` channels need membership of the organisation (or an API key of it); any
  other principal gets ``{"type": "error", "code": "not_found"}`` exactly as for an organisation
  that does not exist. ``public:...`` channels are open to every authenticated principal.
- Malformed messages get ``{"type": "error", "code": "invalid_message", "message"}``; the
  connection stays open.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import time
import uuid
from typing import Any

from fastapi import APIRouter, WebSocket
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect, WebSocketState

from sideline.api.deps import Access, Principal, authenticate_token, resolve_org
from sideline.auth.tokens import decode_token
from sideline.errors import Forbidden, NotFound, RateLimited, Unauthorized
from sideline.live.pubsub import CHANNEL_RE, Subscription
from sideline.observability import WS_CONNECTIONS
from sideline.services import Services
from sideline.storage.models import ApiKey, Role

log = logging.getLogger(__name__)
router = APIRouter(tags=["live"])

CLOSE_UNAUTHORIZED = 4401
CLOSE_RATE_LIMITED = 4429
AUTH_TIMEOUT_SECONDS = 10.0
SUBSCRIBE_TIMEOUT_SECONDS = 15.0
# How often an open connection re-checks its token (revoked keys, deactivated users) and its
# channels (removed memberships); tokens that expire sooner close at their expiry.
RECHECK_SECONDS = 300.0
MAX_SUBSCRIPTIONS = 100
MAX_MESSAGE_CHARS = 16 * 1024
# Events a subscription may have queued for a connection that does not keep up; beyond it the
# client gets a gap and resyncs, so one slow client never holds memory or delays publishers.
MAX_PENDING_EVENTS = 1000


@dataclasses.dataclass(frozen=True)
class _Auth:
    principal: Principal
    expires_at: float | None  # epoch seconds


def _authenticate(services: Services, token: str, *, count: bool = True) -> _Auth:
    with services.db.session() as session:
        principal = authenticate_token(services, session, token)
        if principal.api_key_id is not None:
            key_expiry = session.scalar(select(ApiKey.expires_at).where(ApiKey.id == principal.api_key_id))
            expires_at = _epoch(key_expiry) if key_expiry is not None else None
        else:
            expires_at = float(decode_token(services.settings.resolved_secret_key, token, "access")["exp"])
    wait = services.rate_limiter.hit(principal.rate_key) if count else 0
    if wait > 0:
        raise RateLimited(wait)
    return _Auth(principal, expires_at)


def _epoch(value: dt.datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()


def _authorize(services: Services, principal: Principal, channel: str) -> None:
    """Raise NotFound (or Forbidden, for an API key of the org that lacks the read scope)."""
    if channel.startswith("public:"):
        return
    org, _, rest = channel.partition(":")
    org_text, _, topic = rest.partition(":")
    if org != "org" or not topic:
        raise NotFound("Channel not found")
    try:
        org_id = uuid.UUID(org_text)
    except ValueError:
        raise NotFound("Channel not found") from None
    if str(org_id) != org_text:  # publishers use the canonical form; no aliases
        raise NotFound("Channel not found")
    with services.db.session() as session:
        try:
            org = resolve_org(session, principal, org_id, Access.read)
        except NotFound:
            raise NotFound("Channel not found") from None
    # Organisation-wide channels carry everyone's data; athletes see only their own (deps.athlete_scope).
    if org.role == Role.athlete:
        raise NotFound("Channel not found")


class _Invalid(Exception):
    pass


class LiveConnection:
    def __init__(self, websocket: WebSocket, services: Services):
        self.websocket = websocket
        self.services = services
        self.auth: _Auth | None = None
        self.subscriptions: dict[str, tuple[Subscription, asyncio.Task]] = {}
        self._send_lock = asyncio.Lock()
        self._closed = False
        self._token = ""
        self._recheck_at = 0.0

    # Sending ------------------------------------------------------------------------------
    async def send(self, frame: str) -> None:
        async with self._send_lock:  # frames from several forwarders must not interleave
            await self.websocket.send_text(frame)

    async def send_json(self, payload: dict) -> None:
        await self.send(json.dumps(payload, separators=(",", ":")))

    async def error(self, code: str, message: str, **extra: Any) -> None:
        await self.send_json({"type": "error", "code": code, "message": message, **extra})

    async def close(self, code: int, reason: str) -> None:
        if not self._closed:
            self._closed = True
            if self.websocket.application_state == WebSocketState.CONNECTED:
                reason = reason.encode()[:123].decode(errors="ignore")  # a close reason is at most 123 bytes
                try:
                    await self.websocket.close(code, reason)
                except Exception:  # the client left first
                    pass

    # Lifecycle ----------------------------------------------------------------------------
    async def run(self) -> None:
        token = self.websocket.query_params.get("token")
        if token is None:
            token = await self._first_message_token()
            if token is None:
                return
        if not await self._login(token):
            return
        while True:
            try:
                async with asyncio.timeout_at(self._deadline()):
                    message = await self.websocket.receive()
            except TimeoutError:
                if self.auth is not None and self.auth.expires_at is not None and self.auth.expires_at <= time.time():
                    await self.close(CLOSE_UNAUTHORIZED, "Access token expired; reconnect with a fresh token")
                    return
                await self._recheck()
                if self._closed:
                    return
                continue
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            try:
                if text is None:
                    raise _Invalid("Binary frames are not supported; send JSON text")
                await self.handle(self._parse(text))
            except _Invalid as exc:
                await self.error("invalid_message", str(exc))
            if self._closed:
                return

    def _deadline(self) -> float:
        """The loop time of the next token expiry or periodic re-check, whichever is first."""
        if self.auth is None or self.auth.expires_at is None:
            return self._recheck_at
        loop = asyncio.get_running_loop()
        return min(self._recheck_at, loop.time() + (self.auth.expires_at - time.time()))

    async def _recheck(self) -> None:
        try:
            self.auth = await run_in_threadpool(_authenticate, self.services, self._token, count=False)
        except Unauthorized as exc:
            await self.close(CLOSE_UNAUTHORIZED, exc.message)
            return
        for channel in list(self.subscriptions):
            try:
                await run_in_threadpool(_authorize, self.services, self.auth.principal, channel)
            except (NotFound, Forbidden):
                await self._unsubscribe(channel)
                await self.error("not_found", "Channel not found", channel=channel)
        self._recheck_at = asyncio.get_running_loop().time() + RECHECK_SECONDS

    async def _first_message_token(self) -> str | None:
        try:
            async with asyncio.timeout(AUTH_TIMEOUT_SECONDS):
                message = await self.websocket.receive()
        except TimeoutError:
            await self.close(CLOSE_UNAUTHORIZED, "Authentication timed out")
            return None
        if message["type"] == "websocket.disconnect":
            return None
        try:
            payload = self._parse(message.get("text") or "")
        except _Invalid:
            payload = {}
        token = payload.get("token")
        if payload.get("type") != "auth" or not isinstance(token, str) or not token:
            await self.close(CLOSE_UNAUTHORIZED, 'Authentication required: pass ?token= or send {"type":"auth","token":...} first')
            return None
        return token

    async def _login(self, token: str) -> bool:
        try:
            auth = await run_in_threadpool(_authenticate, self.services, token)
        except RateLimited as exc:
            await self.close(CLOSE_RATE_LIMITED, exc.message)
            return False
        except Unauthorized as exc:
            await self.close(CLOSE_UNAUTHORIZED, exc.message)
            return False
        if self.auth is not None and (auth.principal.user_id, auth.principal.api_key_id) != (
                self.auth.principal.user_id, self.auth.principal.api_key_id):
            await self.error("invalid_message", "A new token must belong to the same user or API key; reconnect instead")
            return True
        self.auth = auth
        self._token = token
        self._recheck_at = asyncio.get_running_loop().time() + RECHECK_SECONDS
        return True

    async def cleanup(self) -> None:
        for channel in list(self.subscriptions):
            await self._unsubscribe(channel)

    # Messages -----------------------------------------------------------------------------
    @staticmethod
    def _parse(text: str) -> dict:
        if len(text) > MAX_MESSAGE_CHARS:
            raise _Invalid(f"Message too long (more than {MAX_MESSAGE_CHARS} characters)")
        try:
            payload = json.loads(text)
        except ValueError:
            raise _Invalid("Message is not valid JSON") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            raise _Invalid('A message must be a JSON object with a string "type"')
        return payload

    @staticmethod
    def _channel(payload: dict) -> str:
        channel = payload.get("channel")
        if not isinstance(channel, str) or not CHANNEL_RE.match(channel):
            raise _Invalid('"channel" must be a channel name such as "org:<org_id>:jobs"')
        return channel

    async def handle(self, payload: dict) -> None:
        kind = payload["type"]
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "subscribe":
            await self._subscribe(payload)
        elif kind == "unsubscribe":
            await self._unsubscribe(self._channel(payload))
        elif kind == "auth":
            token = payload.get("token")
            if not isinstance(token, str) or not token:
                raise _Invalid('"token" must be a non-empty string')
            await self._login(token)
        else:
            raise _Invalid(f"Unknown message type {kind!r}; expected subscribe, unsubscribe, ping or auth")

    async def _subscribe(self, payload: dict) -> None:
        channel = self._channel(payload)
        since = payload.get("since")
        if since is not None and (isinstance(since, bool) or not isinstance(since, int) or since < 0):
            raise _Invalid('"since" must be null or a non-negative integer (the last seq received)')
        if channel not in self.subscriptions and len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
            await self.error("too_many_subscriptions", f"At most {MAX_SUBSCRIPTIONS} channels per connection",
                             channel=channel)
            return
        assert self.auth is not None
        try:
            await run_in_threadpool(_authorize, self.services, self.auth.principal, channel)
        except NotFound:
            await self.error("not_found", "Channel not found", channel=channel)
            return
        except Forbidden as exc:
            await self.error("forbidden", exc.message, channel=channel)
            return
        await self._unsubscribe(channel)  # subscribing again restarts from the new ``since``
        subscription = self.services.pubsub.subscribe(channel, since, max_pending=MAX_PENDING_EVENTS)
        try:
            async with asyncio.timeout(SUBSCRIBE_TIMEOUT_SECONDS):  # e.g. Redis unreachable: say so, don't hang
                await subscription.open()
        except Exception:
            log.exception("could not subscribe to %s", channel)
            await self.error("unavailable", "Live updates are unavailable right now; try again", channel=channel)
            return
        try:
            await self.send_json({"type": "subscribed", "channel": channel, "seq": subscription.seq})
        except BaseException:
            await subscription.aclose()
            raise
        task = asyncio.create_task(self._forward(subscription), name=f"ws-forward:{channel}")
        self.subscriptions[channel] = (subscription, task)

    async def _unsubscribe(self, channel: str) -> None:
        entry = self.subscriptions.pop(channel, None)
        if entry is None:
            return
        subscription, task = entry
        task.cancel()
        await subscription.aclose()

    async def _forward(self, subscription: Subscription) -> None:
        try:
            async for item in subscription:
                await self.send(item.frame)
        except (WebSocketDisconnect, RuntimeError, OSError):
            return  # the client went away; the receive loop ends the connection
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("forwarding %s failed", subscription.channel)
        finally:
            await subscription.aclose()
        # The subscription ended on the server's side (shutdown): say so unless we are closing.
        if self.subscriptions.get(subscription.channel, (None,))[0] is subscription and not self._closed:
            self.subscriptions.pop(subscription.channel, None)
            try:
                await self.error("unavailable", "Live updates for this channel stopped; subscribe again",
                                 channel=subscription.channel)
            except Exception:
                pass


@router.websocket("/ws")
async def live_events(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    await websocket.accept()  # accept first: a close code and reason can only be sent after it
    WS_CONNECTIONS.inc()
    connection = LiveConnection(websocket, services)
    try:
        await connection.run()
    except WebSocketDisconnect:
        pass
    except Exception:  # e.g. the database is down during authentication
        if websocket.client_state == WebSocketState.CONNECTED and websocket.application_state == WebSocketState.CONNECTED:
            log.exception("websocket connection failed")
            await connection.close(1011, "Server error; reconnect later")
    finally:
        await connection.cleanup()
        WS_CONNECTIONS.dec()

"""ETags for JSON GET responses: clients revalidate with If-None-Match and get 304.

Written as pure ASGI middleware so streamed downloads (files, exports) pass through untouched:
only ``application/json`` bodies are hashed, and those are small by construction (paginated).
"""

from __future__ import annotations

import hashlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ETagMiddleware:
    def __init__(self, app: ASGIApp, prefix: str = "/api/"):
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        if_none_match = next((v.decode() for k, v in scope["headers"] if k == b"if-none-match"), None)
        start: Message | None = None
        chunks: list[bytes] = []
        passthrough = False

        async def wrapped_send(message: Message) -> None:
            nonlocal start, passthrough
            if passthrough:
                await send(message)
                return
            if message["type"] == "http.response.start":
                headers = dict((k.lower(), v) for k, v in message.get("headers", []))
                if message["status"] != 200 or not headers.get(b"content-type", b"").startswith(b"application/json"):
                    passthrough = True
                    await send(message)
                    return
                start = message
                return
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(chunks)
                etag = 'W/"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
                assert start is not None
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"etag", b"cache-control")]
                headers += [(b"etag", etag.encode()), (b"cache-control", b"private, no-cache")]
                if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
                    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                    await send({"type": "http.response.start", "status": 304, "headers": headers})
                    await send({"type": "http.response.body", "body": b""})
                    return
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, wrapped_send)

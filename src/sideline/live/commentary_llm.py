"""Optional LLM phrasing of commentary lines through any OpenAI-compatible chat endpoint.

Configured by the environment: ``SIDELINE_LLM_URL`` (base URL, e.g. ``http://localhost:11434/v1``;
unset = off), ``SIDELINE_LLM_MODEL``, ``SIDELINE_LLM_API_KEY`` (optional; never logged). Every
failure falls back to the template line: no endpoint, a timeout (``SIDELINE_LLM_TIMEOUT_S``,
default 2 s), an HTTP error, a malformed reply, or a reply that drops or changes a number of
the template line (the template's numbers are the facts; a rephrasing must keep them all).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from typing import Any

import httpx

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 2.0
MAX_LINE_CHARS = 280
NUMBER = re.compile(r"\d+(?:[.:]\d+)*")

SYSTEM_PROMPTS = {
    "casual": "You are a lively Formula 1 commentator. Rephrase the line in one short sentence. "
              "Keep every number, driver code and name exactly as given. Reply with the sentence only.",
    "technical": "You are a precise Formula 1 race engineer. Rephrase the line in one short, factual sentence. "
                 "Keep every number, driver code and name exactly as given. Reply with the sentence only.",
}


@dataclasses.dataclass(frozen=True)
class LlmSettings:
    url: str
    model: str
    api_key: str | None = dataclasses.field(default=None, repr=False)  # repr=False: never in logs
    timeout_s: float = DEFAULT_TIMEOUT_S


def settings_from_env(env: dict[str, str] | None = None) -> LlmSettings | None:
    env = dict(os.environ) if env is None else env
    url = (env.get("SIDELINE_LLM_URL") or "").strip()
    if not url:
        return None
    try:
        timeout = float(env.get("SIDELINE_LLM_TIMEOUT_S") or DEFAULT_TIMEOUT_S)
    except ValueError:
        timeout = DEFAULT_TIMEOUT_S
    return LlmSettings(url=url.rstrip("/"), model=env.get("SIDELINE_LLM_MODEL") or "default",
                       api_key=env.get("SIDELINE_LLM_API_KEY") or None, timeout_s=timeout)


def numbers(text: str) -> list[str]:
    return sorted(NUMBER.findall(text))


def acceptable(template_text: str, candidate: Any) -> bool:
    """A rephrasing is used only if it is one short line carrying exactly the template's numbers."""
    if not isinstance(candidate, str):
        return False
    candidate = candidate.strip()
    if not candidate or len(candidate) > MAX_LINE_CHARS or "\n" in candidate:
        return False
    return numbers(candidate) == numbers(template_text)


def phrase(line: dict[str, Any], style: str = "casual", settings: LlmSettings | None = None,
           client: httpx.Client | None = None) -> dict[str, Any]:
    """The line with ``text`` rephrased by the endpoint and ``phrased_by: "llm"``, or unchanged
    with ``phrased_by: "template"`` whenever the endpoint is off, slow or wrong."""
    fallback = {**line, "phrased_by": "template"}
    if settings is None:
        return fallback
    headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
    body = {"model": settings.model, "temperature": 0.7, "max_tokens": 80, "messages": [
        {"role": "system", "content": SYSTEM_PROMPTS.get(style, SYSTEM_PROMPTS["casual"])},
        {"role": "user", "content": line["text"]}]}
    try:
        http = client or httpx.Client(timeout=settings.timeout_s)
        try:
            response = http.post(f"{settings.url}/chat/completions", json=body, headers=headers,
                                 timeout=settings.timeout_s)
        finally:
            if client is None:
                http.close()
        response.raise_for_status()
        text = response.json()["choices"][0]["message"]["content"]
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        # the exception text can hold the URL but never the key (it only travels in a header)
        log.info("commentary LLM unavailable (%s); template line used", type(exc).__name__)
        return fallback
    if not acceptable(line["text"], text):
        log.info("commentary LLM reply rejected (numbers or shape differ); template line used")
        return fallback
    return {**line, "text": text.strip(), "template_text": line["text"], "phrased_by": "llm"}


def phrase_all(lines: list[dict[str, Any]], style: str = "casual", settings: LlmSettings | None = None,
               max_calls: int = 20) -> list[dict[str, Any]]:
    """Phrases the last ``max_calls`` lines (the newest matter live; each call may wait up to
    the timeout), stopping at the first failure so a dead endpoint costs one timeout, not many."""
    if settings is None or not lines:
        return [{**line, "phrased_by": "template"} for line in lines]
    head, tail = lines[:-max_calls] if max_calls else lines, lines[-max_calls:] if max_calls else []
    out = [{**line, "phrased_by": "template"} for line in head]
    failed = False
    with httpx.Client(timeout=settings.timeout_s) as client:
        for line in tail:
            result = {**line, "phrased_by": "template"} if failed else phrase(line, style, settings, client)
            failed = failed or result["phrased_by"] == "template"
            out.append(result)
    return out

"""GET a JSON document from a monitoring API (Prometheus, Alertmanager): one place for URLs, credentials, limits
and the UNAVAILABLE error every failure becomes.

Credentials in the URL (http://user:password@host) become a basic-auth header, because urllib would not send
them, and are dropped from everything that is shown: messages name `scheme://host[:port]` only.
"""

from __future__ import annotations

import base64
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Mapping

from acp.errors import Unavailable

DEFAULT_TIMEOUT_SECONDS = 5.0
MAX_RESPONSE_BYTES = 32 * 1024 * 1024


class JsonApi:
    """`JsonApi("http://am:9093", "Alertmanager").get("/api/v2/alerts")` -> the decoded JSON body."""

    def __init__(self, url: str, name: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"a {name} URL is http(s)://[user:password@]host[:port][/path]")
        host = parsed.hostname + (f":{parsed.port}" if parsed.port else "")
        self._headers = {"Accept": "application/json"}
        if parsed.username is not None:
            pair = f"{urllib.parse.unquote(parsed.username)}:{urllib.parse.unquote(parsed.password or '')}"
            self._headers["Authorization"] = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
        self.url = urllib.parse.urlunsplit((parsed.scheme, host, parsed.path.rstrip("/"), "", ""))
        self.name = name
        self.timeout = timeout
        self.where = f"{parsed.scheme}://{host}"
        self._source = name.lower()

    def unavailable(self, message: str, **details: Any) -> Unavailable:
        """An UNAVAILABLE error about this API, naming its host and never its credentials."""
        return Unavailable(f"{self.name} at {self.where} {message}", details={"source": self._source, **details})

    def get(self, path: str, params: Mapping[str, str] | None = None,
            error_field: str | None = None) -> Any:
        """The JSON body of GET url+path?params; error_field names where the API puts its reason on an HTTP
        error ("error" for Prometheus, "message" for Alertmanager)."""
        url = self.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        request = urllib.request.Request(url, headers=self._headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) only
                body = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            payload = decoded(exc.read(MAX_RESPONSE_BYTES + 1))
            reason = payload.get(error_field) if isinstance(payload, dict) and error_field else None
            raise self.unavailable(f"answered HTTP {exc.code}{': ' + str(reason)[:300] if reason else ''}",
                                   http_status=exc.code) from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise self.unavailable(f"cannot be reached within {self.timeout:g}s: {type(reason).__name__}") from None
        if len(body) > MAX_RESPONSE_BYTES:
            raise self.unavailable(f"sent more than {MAX_RESPONSE_BYTES} bytes")
        payload = decoded(body)
        if payload is None:
            raise self.unavailable(f"did not answer JSON, as the {self.name} HTTP API does")
        return payload


def decoded(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None

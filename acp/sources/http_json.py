"""GET a JSON document from a monitoring API (Prometheus, Alertmanager): one place for URLs, credentials, limits
and the UNAVAILABLE error every failure becomes.

A live source is hostile input: whatever answers at its URL may be broken, slow or malicious. So every GET is
bounded before anything downstream reads it:

- time: ONE deadline per query (`timeout` seconds) covers connecting, TLS, the request, the headers and every
  read of the body, however slowly the bytes arrive (a watchdog shuts the socket when it passes);
- size: at most MAX_RESPONSE_BYTES of body; nesting: at most MAX_JSON_DEPTH levels of arrays and objects;
  NaN and Infinity literals (not JSON) are refused;
- redirects: at most MAX_REDIRECTS, only within the URL's origin (scheme, host and port), and never with the
  credentials: a redirect elsewhere is UNAVAILABLE, naming the origin it pointed at;
- every failure, of any of these or of the shape the caller expects (`unavailable()`), is UNAVAILABLE
  (retryable), never INTERNAL.

Credentials in the URL (http://user:password@host) become a basic-auth header, sent to that URL only, and are
dropped from everything that is shown: messages name `scheme://host[:port]` only. Proxy variables
(http_proxy, https_proxy) are not read: a source is asked directly.
"""

from __future__ import annotations

import base64
import functools
import http.client
import json
import socket
import ssl
import threading
import time
import urllib.parse
from typing import Any, Mapping

from acp.errors import PayloadTooLarge, Unavailable
from acp.limits import Limits, check_depth

# One query's whole exchange (connect, headers, the whole body). A healthy Prometheus answers this server's
# queries in milliseconds; five seconds is a loaded one, not a broken one.
DEFAULT_TIMEOUT_SECONDS = 5.0
# The largest answer read: Alertmanager's /api/v2/alerts for ~20,000 alerts of ~1.5 KiB each.
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
# Prometheus's answers nest 5 levels (data.result[i].value), Alertmanager's 4 (alerts[i].status.silencedBy);
# 32 leaves room for any API version and stops a document nested thousands deep before anything walks it.
MAX_JSON_DEPTH = 32
MAX_REDIRECTS = 3  # within one origin: /prometheus -> /prometheus/ and the like
MAX_REASON_CHARS = 300  # what an error message repeats of the reason a source gave for an HTTP error
READ_CHUNK_BYTES = 64 * 1024
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
DEFAULT_PORTS = {"http": 80, "https": 443}


class JsonApi:
    """`JsonApi("http://am:9093", "Alertmanager").get("/api/v2/alerts")` -> the decoded JSON body."""

    def __init__(self, url: str, name: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"a {name} URL is http(s)://[user:password@]host[:port][/path]")
        host = _netloc(parsed)
        self._headers = {"Accept": "application/json", "Connection": "close"}
        self._authorization: str | None = None
        if parsed.username is not None:
            pair = f"{urllib.parse.unquote(parsed.username)}:{urllib.parse.unquote(parsed.password or '')}"
            self._authorization = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
        self.url = urllib.parse.urlunsplit((parsed.scheme, host, parsed.path.rstrip("/"), "", ""))
        self.name = name
        self.timeout = timeout
        self.where = f"{parsed.scheme}://{host}"
        self._source = name.lower()

    def unavailable(self, message: str, **details: Any) -> Unavailable:
        """An UNAVAILABLE error about this API, naming its host and never its credentials."""
        return Unavailable(f"{self.name} at {self.where} {message}", details={"source": self._source, **details})

    def malformed(self, problem: str, **details: Any) -> Unavailable:
        """UNAVAILABLE for an answer that is JSON but not what the API answers: `problem` says where and how."""
        return self.unavailable(f"did not answer as the {self.name} API does: {problem}", **details)

    def get(self, path: str, params: Mapping[str, str] | None = None,
            error_field: str | None = None) -> Any:
        """The JSON body of GET url+path?params, within one deadline of `timeout` seconds; error_field names
        where the API puts its reason on an HTTP error ("error" for Prometheus, "message" for Alertmanager)."""
        deadline = time.monotonic() + self.timeout
        url = self.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        headers = dict(self._headers)
        if self._authorization is not None:
            headers["Authorization"] = self._authorization
        for _ in range(MAX_REDIRECTS + 1):
            status, location, body = self._exchange(url, headers, deadline)
            if status not in REDIRECT_STATUSES or location is None:
                break
            target = urllib.parse.urljoin(url, location)
            if _origin(target) != _origin(url):
                raise self.unavailable(f"redirected to another origin ({_shown_origin(target)}); redirects are "
                                       f"followed within {self.where} only", http_status=status)
            url = target
            headers.pop("Authorization", None)  # credentials go to the URL given, never to where it points
        else:
            raise self.unavailable(f"redirected more than {MAX_REDIRECTS} times", http_status=status)
        if status >= 300:
            reason = _reason(body, error_field)
            raise self.unavailable(f"answered HTTP {status}{': ' + reason if reason else ''}", http_status=status)
        try:
            return bounded_json(body)
        except ValueError as exc:
            raise self.unavailable(f"did not answer JSON, as the {self.name} HTTP API does ({exc})") from None

    def _exchange(self, url: str, headers: Mapping[str, str], deadline: float) -> tuple[int, str | None, bytes]:
        """(status, Location, body) of one GET, every step of it before `deadline` (time.monotonic())."""
        parts = urllib.parse.urlsplit(url)
        target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._late()
        if parts.scheme == "https":
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=remaining, context=_tls_context())
        else:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=remaining)
        watchdog = _Watchdog(connection, remaining)
        try:
            connection.connect()
            if watchdog.fired:  # it fired while connecting, before there was a socket to shut
                raise self._late()
            connection.request("GET", target, headers=dict(headers))
            response = connection.getresponse()
            location = response.getheader("Location")
            body = bytearray()
            while len(body) <= MAX_RESPONSE_BYTES:
                chunk = response.read1(READ_CHUNK_BYTES)
                if not chunk:
                    break
                body += chunk
            if watchdog.fired:
                raise self._late()
            if len(body) > MAX_RESPONSE_BYTES:
                raise self.unavailable(f"sent more than {MAX_RESPONSE_BYTES} bytes")
            return response.status, location[:2048] if location else None, bytes(body)
        except (http.client.HTTPException, OSError, ValueError) as exc:
            if watchdog.fired or isinstance(exc, (socket.timeout, TimeoutError)):
                raise self._late() from None
            raise self.unavailable(f"cannot be reached within {self.timeout:g}s: {type(exc).__name__}") from None
        finally:
            watchdog.cancel()
            connection.close()

    def _late(self) -> Unavailable:
        return self.unavailable(f"cannot be reached within {self.timeout:g}s: no whole answer before the deadline "
                                "(connect, headers and body)", timeout_seconds=self.timeout)


class _Watchdog:
    """Shuts the connection's socket when the deadline passes, waking whatever read is blocked on it."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float) -> None:
        self.connection = connection
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        sock = self.connection.sock
        if sock is not None:
            try:
                # The plain socket's shutdown even under TLS (SSLSocket's would drop its state under the reader),
                # and not close(): the reading thread still owns the descriptor.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        self._timer.cancel()


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """The system's trusted CAs, loaded once (urllib's default, which this replaces, verified the same way)."""
    return ssl.create_default_context()


_DEPTH_LIMITS = Limits(max_message_bytes=MAX_RESPONSE_BYTES, max_nesting_depth=MAX_JSON_DEPTH)


def bounded_json(body: bytes) -> Any:
    """The JSON value of body, or ValueError saying why not (not JSON, NaN/Infinity, nested too deep)."""
    try:
        value = json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:  # JSONDecodeError, a bad encoding, an integer of more digits than Python reads
        raise ValueError(str(exc)[:120]) from None
    try:
        check_depth(value, _DEPTH_LIMITS)
    except PayloadTooLarge:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    return value


def decoded(body: bytes) -> Any:
    """The JSON value of body, or None when it is not JSON within the bounds."""
    try:
        return bounded_json(body)
    except ValueError:
        return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _reason(body: bytes, error_field: str | None) -> str:
    payload = decoded(body) if error_field else None
    reason = payload.get(error_field) if isinstance(payload, dict) else None
    return reason[:MAX_REASON_CHARS] if isinstance(reason, str) else ""


def _netloc(parts: urllib.parse.SplitResult) -> str:
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return host + (f":{parts.port}" if parts.port else "")


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in; a port that does not parse is None."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return (parts.scheme.lower(), "", None)
    return (parts.scheme.lower(), (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(parts.scheme.lower()))


def _shown_origin(url: str) -> str:
    scheme, host, port = _origin(url)
    return f"{scheme[:10]}://{host[:100]}" + (f":{port}" if port else "")

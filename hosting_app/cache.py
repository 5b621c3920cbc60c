"""Response cache of the public API: the anonymous GETs of sites and premises.

``/api/sites``, ``/api/premises``, ``/api/premises/<id>`` and the vector tiles
(``/api/tiles/…``) answer the same to everyone who is not logged in, so their answers are
kept for ``API_CACHE_TTL`` seconds (60) and served again without parsing nor querying:

- where: Redis (``API_CACHE = "redis"``, the default when ``REDIS_URL`` is set), shared by
  every worker and every server; or this process's memory (``"memory"``: one process only,
  the development server); or nowhere (``"off"``, the default without Redis);
- key: the scheme, the path and the query string normalised (parameters sorted, empty ones
  dropped, as the API ignores them), and whether the client accepts gzip, under a prefix
  naming the database;
- what: the whole answer as it left the app (status 200, every header, the body);
- invalidation: a data version, incremented after every commit that wrote premises or sites
  (SQLAlchemy session events, so the back-office, the imports and the seed all count). Each
  entry carries the version read *before* its query ran; an entry of an older version is
  never served, so a change is visible at the next request. Writes in plain SQL outside the
  ORM (``hosting-app restore``, bench/generate.py) are not seen: call ``invalidate()`` after
  them, or their changes show once the entries expire;
- HTTP: ``Cache-Control: public, max-age=API_CACHE_TTL`` and an ETag (``If-None-Match``
  gets a 304), also when no store is configured.

A request that carries neither an ``Authorization`` header nor a cookie is answered from the
cache before Flask sees it (``CachedAnswers``, a WSGI layer: a hit costs a lookup, not a
request's whole dispatch); one with a cookie goes through Flask, which serves the cache too
when nobody is logged in. Requests with an ``Authorization`` header or a logged-in session
are neither served from nor stored in the cache, and their answers say ``Cache-Control:
private, no-store``. A store that fails (Redis down) is skipped for a few seconds: the API
answers uncached meanwhile.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import weakref
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.middleware.proxy_fix import ProxyFix

CACHED_ENDPOINTS = frozenset(
    {"api.sites", "api.premises", "api.premises_one", "api.premises_tile", "api.sites_tile"}
)
RETRY_AFTER_ERROR = 5.0  # seconds without the store after it failed
MEMORY_ENTRIES = 1024

log = logging.getLogger(__name__)


class MemoryStore:
    """Entries in this process's memory (one process: the development server, tests)."""

    def __init__(self, max_entries: int = MEMORY_ENTRIES):
        self._entries: dict[str, tuple[float, bytes]] = {}
        self._version = 0
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[int, bytes | None]:
        """The data version and the entry of ``key`` (None when missing or expired)."""
        with self._lock:
            expires, value = self._entries.get(key, (0.0, None))
            if value is not None and expires < time.monotonic():
                del self._entries[key]
                value = None
            return self._version, value

    def set(self, key: str, value: bytes, ttl: int) -> None:
        """Keep ``value`` for ``ttl`` seconds."""
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries.pop(next(iter(self._entries)))  # the oldest
            self._entries[key] = (time.monotonic() + ttl, value)

    def bump(self) -> None:
        """Make every entry stale."""
        with self._lock:
            self._version += 1
            self._entries.clear()


class RedisStore:
    """Entries in Redis, shared by every worker and server; one round trip per lookup."""

    def __init__(self, url: str, prefix: str):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._prefix = prefix
        self._version_key = f"{prefix}:version"

    def get(self, key: str) -> tuple[int, bytes | None]:
        """The data version and the entry of ``key`` (None when missing or expired)."""
        version, value = self._redis.mget(self._version_key, f"{self._prefix}:{key}")
        return int(version or 0), value

    def set(self, key: str, value: bytes, ttl: int) -> None:
        """Keep ``value`` for ``ttl`` seconds."""
        self._redis.set(f"{self._prefix}:{key}", value, ex=ttl)

    def bump(self) -> None:
        """Make every entry stale."""
        self._redis.incr(self._version_key)


class ResponseCache:
    """The public API's response cache of one app (``app.extensions["api_cache"]``)."""

    def __init__(self, store: MemoryStore | RedisStore | None, ttl: int):
        self.store = store
        self.ttl = ttl
        self._skip_until = 0.0

    def _call(self, method: str, *args, always: bool = False):
        """``store.method(*args)``, or None when there is no store or it fails (then the
        store is left alone a few seconds, unless ``always``)."""
        if self.store is None or (not always and time.monotonic() < self._skip_until):
            return None
        try:
            return getattr(self.store, method)(*args)
        except Exception as error:  # noqa: BLE001 - a cache must never break the API
            self._skip_until = time.monotonic() + RETRY_AFTER_ERROR
            log.warning("API cache unavailable (%s): answering uncached", error)
            return None

    def lookup(self, key: str) -> tuple[int, bytes | None] | None:
        """(data version, entry) of ``key``; None without a store."""
        return self._call("get", key)

    def keep(self, key: str, value: bytes) -> None:
        """Keep an entry for the TTL."""
        self._call("set", key, value, self.ttl)

    def invalidate(self) -> None:
        """Make every entry stale (premises or sites changed): tried even while the store is
        left alone after an error, lest an entry older than the change be served later."""
        self._call("bump", always=True)


def init_app(app: Flask) -> None:
    """Bind the response cache to the app: the WSGI layer, and Flask's hooks for the rest."""
    kind = app.config.get("API_CACHE", "off")
    if kind == "redis" and app.config.get("REDIS_URL"):
        install(app, RedisStore(app.config["REDIS_URL"], _prefix(app)))
    else:
        install(app, MemoryStore() if kind == "memory" else None)
    # Inside ProxyFix when there is one, so that the scheme is the client's.
    outer = app.wsgi_app
    if isinstance(outer, ProxyFix):
        outer.app = CachedAnswers(app, outer.app)
    else:
        app.wsgi_app = CachedAnswers(app, outer)
    app.before_request(_serve_cached)
    app.after_request(_finish)
    _listen_to_writes()


def install(app: Flask, store: MemoryStore | RedisStore | None) -> ResponseCache:
    """Keep the app's public answers in ``store`` from now on (None: in no store)."""
    cache = ResponseCache(store, int(app.config.get("API_CACHE_TTL", 60)))
    app.extensions["api_cache"] = cache
    _CACHES.add(cache)
    return cache


def _prefix(app: Flask) -> str:
    """API_CACHE_PREFIX, else one naming the database (two apps on one Redis never mix)."""
    if app.config.get("API_CACHE_PREFIX"):
        return app.config["API_CACHE_PREFIX"]
    url = sa.make_url(app.config["SQLALCHEMY_ENGINES"]["default"]["url"])
    return f"hosting_app:api:{url.host or ''}:{url.port or ''}:{url.database}"


CACHED_PATH = re.compile(
    r"^/api/(?:sites|premises(?:/[0-9]+)?|tiles/(?:premises|sites)/[0-9]+/[0-9]+/[0-9]+\.pbf)$"
)
ENVIRON_KEY = "hosting_app.api_cache"  # (key, version) of an answer to keep
NOT_FOR_304 = frozenset({"content-length", "content-type", "content-encoding"})


def cache_key(scheme: str, path: str, query_string: str, accept_encoding: str = "") -> str:
    """The key of a request: scheme, path, parameters sorted without the empty ones, and
    whether the client accepts gzip (the tiles are compressed for those that do)."""
    pairs = sorted((k, v) for k, v in parse_qsl(query_string, keep_blank_values=True) if v.strip())
    raw = f"{scheme}://{path}?{urlencode(pairs)}"
    if "gzip" in accept_encoding:
        raw += "#gzip"
    return hashlib.blake2b(raw.encode(), digest_size=20).hexdigest()


def _entry(version: int, status: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    meta = {"v": version, "s": status, "h": [[k, v] for k, v in headers if k != "Set-Cookie"]}
    return json.dumps(meta, separators=(",", ":")).encode() + b"\n" + body


def _fresh(found: tuple[int, bytes | None] | None) -> tuple[dict, bytes] | None:
    """The entry's meta data and body, when there is one of the current data version."""
    if found is None or found[1] is None:
        return None
    version, entry = found
    meta, _, body = entry.partition(b"\n")
    meta = json.loads(meta)
    return (meta, body) if meta["v"] == version else None


class CachedAnswers:
    """WSGI layer: answers the plainly anonymous GETs of the public API from the cache, and
    keeps the answers Flask marked as worth keeping (``ENVIRON_KEY``)."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or not CACHED_PATH.match(
            environ.get("PATH_INFO", "")
        ):
            return self.wsgi_app(environ, start_response)
        if (
            "HTTP_AUTHORIZATION" not in environ
            and "HTTP_COOKIE" not in environ
            and not (self.app.config.get("FORCE_HTTPS") and environ["wsgi.url_scheme"] != "https")
        ):
            cache: ResponseCache = self.app.extensions["api_cache"]
            key = cache_key(
                environ["wsgi.url_scheme"],
                environ["PATH_INFO"],
                environ.get("QUERY_STRING", ""),
                environ.get("HTTP_ACCEPT_ENCODING", ""),
            )
            hit = _fresh(cache.lookup(key))
            if hit is not None:
                return self._answer(environ, start_response, *hit)
        return self._keep(environ, start_response)

    @staticmethod
    def _answer(environ, start_response, meta: dict, body: bytes):
        headers = [(k, v) for k, v in meta["h"]]
        etag = next((v for k, v in headers if k == "ETag"), None)
        if etag is not None and etag in environ.get("HTTP_IF_NONE_MATCH", ""):
            start_response(
                "304 NOT MODIFIED", [h for h in headers if h[0].lower() not in NOT_FOR_304]
            )
            return [b""]
        start_response(meta["s"], headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def _keep(self, environ, start_response):
        """Run the app; keep its answer when Flask marked it (an anonymous 200 to a GET)."""
        captured: list = []

        def capture(status, headers, exc_info=None):
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, capture)
        marked = environ.get(ENVIRON_KEY)
        if marked is None or not captured or not captured[0].startswith("200 "):
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        key, version = marked
        cache: ResponseCache = self.app.extensions["api_cache"]
        cache.keep(key, _entry(version, captured[0], captured[1], body))
        return [body]


def _anonymous() -> bool:
    """Whether the request is nobody's: no Authorization header, nobody logged in."""
    if "Authorization" in request.headers:
        return False
    return not request.cookies or not current_user.is_authenticated


def _serve_cached() -> Response | None:
    """Answer from the cache a request that came through Flask (with cookies, nobody logged
    in), or mark its answer to be kept."""
    if request.endpoint not in CACHED_ENDPOINTS or request.method not in ("GET", "HEAD"):
        return None
    if not _anonymous():
        g.api_cache = "private"
        return None
    g.api_cache = "public"
    cache: ResponseCache = current_app.extensions["api_cache"]
    key = cache_key(
        request.scheme,
        request.path,
        request.query_string.decode("latin-1"),
        request.headers.get("Accept-Encoding", ""),
    )
    found = cache.lookup(key)
    hit = _fresh(found)
    if hit is not None:
        meta, body = hit
        return Response(body, status=meta["s"], headers=meta["h"])
    if found is not None and request.method == "GET":
        request.environ[ENVIRON_KEY] = (key, found[0])
    return None


def _finish(response: Response) -> Response:
    """Cache-Control and an ETag on the public answers (a 304 when it matches)."""
    state = g.pop("api_cache", None)
    if state is None:
        return response
    if state == "private":
        response.headers["Cache-Control"] = "private, no-store"
        return response
    if response.status_code != 200 or response.direct_passthrough:
        request.environ.pop(ENVIRON_KEY, None)
        return response
    if "ETag" not in response.headers:
        response.set_etag(hashlib.blake2b(response.get_data(), digest_size=16).hexdigest())
    response.cache_control.public = True
    response.cache_control.max_age = current_app.extensions["api_cache"].ttl
    return response.make_conditional(request)


# --- Invalidation: after a commit that wrote premises or sites ---------------------------

_FLAG = "api_cache_stale"
# The caches of this process's apps: a session's commit invalidates them, app context or not
# (a command, a script, a test's own session).
_CACHES: weakref.WeakSet[ResponseCache] = weakref.WeakSet()


def _public_models() -> tuple[type, ...]:
    from hosting_app.sites.models import Premises, Site

    return Premises, Site


def _after_flush(session: Session, _context) -> None:
    models = _public_models()
    if any(isinstance(obj, models) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_FLAG] = True


def _after_bulk(state) -> None:
    """ORM-enabled INSERT, UPDATE or DELETE statements (``session.execute(update(Premises))``)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mappers = state.all_mappers
    if any(mapper.class_ in _public_models() for mapper in mappers):
        state.session.info[_FLAG] = True


def _after_end(session: Session, *_args) -> None:
    """The transaction ended (committed, or rolled back: a test's data is gone again)."""
    if session.info.pop(_FLAG, False):
        invalidate()  # one cache per app: a single one in a server process


def invalidate() -> None:
    """Make every entry of this process's caches stale (after writes in plain SQL)."""
    for cache in list(_CACHES):
        cache.invalidate()


def _listen_to_writes() -> None:
    """Watch every session for writes to premises and sites (once per process)."""
    if event.contains(Session, "after_flush", _after_flush):
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _after_bulk)
    event.listen(Session, "after_commit", _after_end)
    event.listen(Session, "after_rollback", _after_end)

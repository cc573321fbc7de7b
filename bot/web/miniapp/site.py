"""The Mini App's HTTP side: an aiohttp application mounted at /app on the bot's server.

    GET  /                  the shell page (no data)          GET  /static/<file>, /i18n/<locale>.json
    POST /api/session       sign in with Telegram's initData  POST /api/logout
    GET  /api/me            who, what they may do, the menus  GET  /api/queue?state=&region=&category=&from=&to=&q=
    GET  /api/reports/<id>  the card, evidence, history       GET  /api/reports/<id>/photos/<n> (metadata-free copy)
    POST /api/reports/<id>/move                               POST /api/bulk
    GET  /api/dashboard     the summary's figures, the trend  GET  /api/map.svg

Everything under /api but the sign-in needs a session; each request asks (through a one-minute cache)
whether the user still belongs to a group, so leaving a group closes the Mini App within a minute.
Every response carries a strict Content-Security-Policy: the page's own script and styles only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any, Final

from aiohttp import web

from bot.telegram.members import Memberships
from bot.web.miniapp.initdata import InitDataError, verify
from bot.web.miniapp.session import COOKIE, Session, Sessions
from handlers.common.limits import FloodGuard
from handlers.miniapp.dashboard import Dashboard
from handlers.miniapp.queue import OPEN_STATES, QueueQuery, state_from_code
from handlers.miniapp.service import MiniAppService, MoveRequest
from handlers.miniapp.visibility import Access, Audience, access_for
from handlers.triage.machine import Action, ForwardTarget, RejectReason, Supervisor
from handlers.triage.regional import MOVE_ACTION
from handlers.triage.search import SearchError
from locales import LOCALES, catalog, normalize_locale, t
from storage.models import Category, ReportState

log = logging.getLogger(__name__)

# The shared server's root sets aiohttp's own limit (the largest door's); ours is checked here.
MAX_BODY: Final = 64 * 1024
STATIC: Final = {"app.js": "text/javascript", "app.css": "text/css", "icon.svg": "image/svg+xml"}
STRING_PREFIXES: Final = ("miniapp.", "state.", "category.")
# Telegram Web (web.telegram.org/k and /a) shows a Mini App in an iframe; the apps use a webview.
FRAME_ANCESTORS: Final = "https://web.telegram.org"
CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self';"
    " font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none';"
    f" frame-ancestors {FRAME_ANCESTORS}"
)
MAX_PAGE: Final = 10_000

SESSION_KEY: Final = web.AppKey("session", Session)
ACCESS_KEY: Final = web.AppKey("access", Access)


@dataclass(frozen=True, slots=True)
class MiniAppConfig:
    bot_token: str
    audience: Audience
    default_locale: str
    secure_cookie: bool  # MINIAPP_URL is https: the cookie only ever travels over TLS


def _static(name: str) -> bytes:
    return resources.files("bot.web.miniapp").joinpath("static", name).read_bytes()


def strings(locale: str) -> dict[str, str]:
    """Every text the page shows, for one locale (the catalog's own: the page formats {placeholders})."""
    texts = catalog(locale)
    fallback = catalog("id")
    keys = sorted(k for k in fallback if k.startswith(STRING_PREFIXES))
    return {key: texts.get(key, fallback[key]) for key in keys}


def _error(status: int, key: str, locale: str, **values: object) -> web.Response:
    return web.json_response({"error": key, "message": t(locale, key, **values)}, status=status)


def _secure(response: web.StreamResponse, request: web.Request) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if "/api/" in request.path:
        response.headers["Cache-Control"] = "no-store"


class _Refused(Exception):
    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _ints(raw: str, limit: int = 50) -> list[int]:
    values = [v for v in raw.split(",") if v][:limit]
    return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) < 12]  # "፩".isdigit() too


def _enum_list(raw: str | None, kind: type[Any]) -> tuple[Any, ...] | None:
    if raw is None or raw == "":
        return None
    out = []
    for part in raw.split(",")[:20]:
        try:
            out.append(kind(part))
        except ValueError:
            raise ValueError(part) from None
    return tuple(out)


def _day(raw: str | None) -> date | None:
    return date.fromisoformat(raw) if raw else None


SIGN_INS_PER_MINUTE: Final = 5


class MiniAppSite:
    """The routes, wired by bot/app.py with the services it built once."""

    def __init__(
        self,
        config: MiniAppConfig,
        service: MiniAppService,
        dashboard: Dashboard,
        members: Memberships,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.service = service
        self.dashboard = dashboard
        self.members = members
        self.sessions = Sessions(config.bot_token)
        self._clock = clock
        # A valid initData is anyone's for the asking (any Telegram user can open the Mini App), and each
        # sign-in asks getChatMember of every group: per user, a few a minute, or one stranger spends the
        # bot's 30 calls a second.
        self._sign_ins = FloodGuard(SIGN_INS_PER_MINUTE)
        self._shell = _static("index.html")

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY, middlewares=[self._headers])
        app.add_routes(
            [
                web.get("/", self.shell),
                web.get("/static/{name}", self.static),
                web.get("/i18n/{locale}.json", self.i18n),
                web.post("/api/session", self.sign_in),
                web.post("/api/logout", self.sign_out),
                web.get("/api/me", self.guarded(self.me)),
                web.get("/api/queue", self.guarded(self.queue, triage=True)),
                web.get("/api/reports/{id:[0-9]{1,12}}", self.guarded(self.report, triage=True, fresh=True)),
                web.get("/api/reports/{id:[0-9]{1,12}}/photos/{n:[0-9]{1,2}}", self.guarded(self.photo, triage=True)),
                web.post("/api/reports/{id:[0-9]{1,12}}/move", self.guarded(self.move, triage=True)),
                web.post("/api/bulk", self.guarded(self.bulk, triage=True)),
                web.get("/api/dashboard", self.guarded(self.figures)),
                web.get("/api/map.svg", self.guarded(self.map)),
            ]
        )
        return app

    # ---------------------------------------------------------------- every response

    @web.middleware
    async def _headers(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPNotFound as exc:
            if request.path.count("/") == 1:
                # "/app" without its slash: the page's relative links need it. Browsers keep the fragment,
                # and Telegram's launch data with it, across the redirect.
                raise web.HTTPPermanentRedirect(request.path + "/") from None
            _secure(exc, request)
            raise
        except web.HTTPException as exc:
            _secure(exc, request)
            raise
        except Exception:
            log.exception("mini app request failed")
            response = _error(500, "miniapp.error", self.config.default_locale)
        _secure(response, request)
        return response

    # ---------------------------------------------------------------- open to anyone: no data in them

    async def shell(self, request: web.Request) -> web.Response:
        return web.Response(body=self._shell, content_type="text/html", charset="utf-8")

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        kind = STATIC.get(name)
        if kind is None:
            raise web.HTTPNotFound()
        return web.Response(body=_static(name), content_type=kind, headers={"Cache-Control": "no-cache"})

    async def i18n(self, request: web.Request) -> web.Response:
        locale = request.match_info["locale"]
        if locale not in LOCALES:
            raise web.HTTPNotFound()
        return web.json_response(strings(locale))

    # ---------------------------------------------------------------- sessions

    def _locale(self, request: web.Request, session: Session | None = None) -> str:
        wanted = request.headers.get("X-Lang")
        base = session.locale if session else self.config.default_locale
        return normalize_locale(wanted, base) if wanted else base

    async def _access(self, user_id: int, *, fresh: bool = False) -> Access | None:
        async def is_member(chat_id: int) -> bool:
            return await self.members.is_member(chat_id, user_id, fresh=fresh)

        return await access_for(user_id, self.config.audience, is_member)

    async def sign_in(self, request: web.Request) -> web.Response:
        """initData → a session: the signature, its age, then membership of a group or the office chat."""
        locale = self._locale(request)
        if (request.content_length or 0) > MAX_BODY:
            return _error(413, "miniapp.bad_request", locale)
        try:
            body = await request.json()
            init_data = body["initData"] if isinstance(body, dict) else None
        except (ValueError, KeyError, UnicodeDecodeError):
            init_data = None
        if not isinstance(init_data, str):
            return _error(400, "miniapp.bad_request", locale)
        try:
            user = verify(init_data, self.config.bot_token, self._clock())
        except InitDataError as exc:
            log.warning("mini app sign-in refused (%s)", exc.reason)
            key = "miniapp.signin_stale" if exc.reason == "stale" else "miniapp.signin_failed"
            return _error(401, key, locale)
        locale = normalize_locale(user.language_code, self.config.default_locale)
        if self._sign_ins.check(str(user.id), time.monotonic()) != "ok":
            return _error(429, "miniapp.slow_down", locale)
        access = await self._access(user.id, fresh=True)
        if access is None:
            log.warning("mini app sign-in refused (not a member)")
            return _error(403, "miniapp.not_member", locale)
        token, session = self.sessions.issue(user.id, user.name, locale, self._clock())
        response = web.json_response({"token": token, "expires": session.expires, "locale": locale})
        response.set_cookie(
            COOKIE,
            token,
            max_age=self.sessions.ttl,
            path="/app",
            httponly=True,
            samesite="Strict",
            secure=self.config.secure_cookie or request.headers.get("X-Forwarded-Proto") == "https",
        )
        log.info("mini app session opened (%s)", "triage" if access.triage else "dashboard")
        return response

    async def sign_out(self, request: web.Request) -> web.Response:
        response = web.json_response({"ok": True})
        response.del_cookie(COOKIE, path="/app")
        return response

    def _session(self, request: web.Request) -> Session | None:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else request.cookies.get(COOKIE)
        return self.sessions.read(token, self._clock())

    def guarded(
        self,
        handler: Callable[[web.Request, Session, Access], Awaitable[web.StreamResponse]],
        *,
        triage: bool = False,
        fresh: bool = False,
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """The route only for a live session of a user who still belongs (supervisors for `triage`);
        `fresh` asks Telegram afresh, as the group's /laporan and /bukti do before a whole card."""

        async def route(request: web.Request) -> web.StreamResponse:
            session = self._session(request)
            if session is None:
                return _error(401, "miniapp.session_expired", self._locale(request))
            locale = self._locale(request, session)
            access = await self._access(session.user_id, fresh=fresh)
            if access is None:
                log.warning("mini app request refused (no longer a member)")
                return _error(403, "miniapp.not_member", locale)
            if triage and not access.triage:
                return _error(403, "miniapp.office_only", locale)
            if (request.content_length or 0) > MAX_BODY:
                return _error(413, "miniapp.bad_request", locale)
            if request.method == "POST" and request.content_type != "application/json":
                # A cross-site form cannot send JSON without a preflight: no forged moves from elsewhere.
                return _error(415, "miniapp.bad_request", locale)
            try:
                return await handler(request, session, access)
            except _Refused as refused:
                return refused.response

        return route

    # ---------------------------------------------------------------- the API

    async def me(self, request: web.Request, session: Session, access: Access) -> web.Response:
        locale = self._locale(request, session)
        regions = self.service.regions
        visible = [r for r in regions.regions if access.regions is None or r.id in access.regions]
        scope = (
            t(locale, "miniapp.scope_all")
            if access.regions is None
            else t(locale, "miniapp.scope_regions", regions=", ".join(r.name for r in visible))
        )
        return web.json_response(
            {
                "name": session.name,
                "locale": locale,
                "triage": access.triage,
                "dashboard": access.dashboard,
                "scope": scope if access.triage else t(locale, "miniapp.office_only"),
                "regions": [{"value": r.id, "label": r.name} for r in visible] if access.triage else [],
                "categories": [{"value": c.value, "label": t(locale, f"category.{c}")} for c in Category],
                "open_states": [s.value for s in OPEN_STATES],
                **self.service.choices(locale),
            }
        )

    async def queue(self, request: web.Request, session: Session, access: Access) -> web.Response:
        locale = self._locale(request, session)
        q = request.query
        try:
            state_raw = q.get("state", "open")
            states = OPEN_STATES if state_raw == "open" else _enum_list(state_raw, ReportState)
            page = int(q.get("page", "0"))
            query = QueueQuery(
                states=states,
                region_ids=tuple(q["region"].split(",")[:40]) if q.get("region") else None,
                categories=_enum_list(q.get("category"), Category),
                first=_day(q.get("from")),
                last=_day(q.get("to")),
                text=q.get("q", "")[:200],
                page=min(max(0, page), MAX_PAGE),
            )
        except ValueError:
            return _error(400, "miniapp.bad_request", locale)
        try:
            result = await self.service.queue(query, access, locale)
        except SearchError as exc:
            return web.json_response({"error": exc.key, "message": t(locale, exc.key, value=exc.value)}, status=422)
        return web.json_response(result)

    async def _visible(self, request: web.Request, session: Session, access: Access) -> Any:
        report = await self.service.visible(int(request.match_info["id"]), access)
        if report is None:
            raise _Refused(_error(404, "miniapp.not_allowed", self._locale(request, session)))
        return report

    async def report(self, request: web.Request, session: Session, access: Access) -> web.Response:
        report = await self._visible(request, session, access)
        return web.json_response(await self.service.report(report, self._locale(request, session)))

    async def photo(self, request: web.Request, session: Session, access: Access) -> web.Response:
        report = await self._visible(request, session, access)
        data = await self.service.preview(report, int(request.match_info["n"]))
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="image/jpeg", headers={"Cache-Control": "private, no-store"})

    async def _body(self, request: web.Request, locale: str) -> dict[str, Any]:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            raise _Refused(_error(400, "miniapp.bad_request", locale))
        return body

    async def move(self, request: web.Request, session: Session, access: Access) -> web.Response:
        locale = self._locale(request, session)
        report = await self._visible(request, session, access)
        body = await self._body(request, locale)
        supervisor = Supervisor(session.user_id, session.name)
        if body.get("action") == MOVE_ACTION:
            to_index, from_index = body.get("to"), body.get("from")
            if not isinstance(to_index, int) or not isinstance(from_index, int):
                return _error(400, "miniapp.bad_request", locale)
            answer = await self.service.move_group(report, to_index, from_index, supervisor, locale)
            status = 200 if answer.result.value == "done" else 409
            return web.json_response({"result": answer.result.value, "message": answer.message}, status=status)
        try:
            expected = state_from_code(str(body.get("expected", "")))
            action = Action(str(body.get("action", "")))
            reason = RejectReason(body["reason"]) if body.get("reason") else None
            target = ForwardTarget(body["target"]) if body.get("target") else None
            text = body.get("text")
            if expected is None or (text is not None and not isinstance(text, str)):
                raise ValueError("expected")
        except ValueError:
            return _error(400, "miniapp.bad_request", locale)
        answer = await self.service.move(
            report,
            MoveRequest(action, expected, reason=reason, target=target, text=text),
            supervisor,
            locale,
        )
        status = 200 if answer.result.value == "done" else 409
        return web.json_response({"result": answer.result.value, "message": answer.message}, status=status)

    async def bulk(self, request: web.Request, session: Session, access: Access) -> web.Response:
        locale = self._locale(request, session)
        body = await self._body(request, locale)
        try:
            raw = body.get("items")
            if not isinstance(raw, list) or len(raw) > 50:
                raise ValueError("items")
            items: list[tuple[int, ReportState]] = []
            for item in raw:
                state = state_from_code(str(item.get("expected", ""))) if isinstance(item, dict) else None
                if state is None or not isinstance(item.get("id"), int):
                    raise ValueError("item")
                items.append((int(item["id"]), state))
            target = ForwardTarget(body["target"]) if body.get("target") else None
            duplicate_of = body.get("duplicate_of")
            if duplicate_of is not None and not isinstance(duplicate_of, str):
                raise ValueError("duplicate_of")
        except (ValueError, AttributeError):
            return _error(400, "miniapp.bad_request", locale)
        result = await self.service.bulk(
            str(body.get("action", "")),
            items,
            access,
            Supervisor(session.user_id, session.name),
            locale,
            duplicate_of=duplicate_of,
            target=target,
        )
        return web.json_response(result, status=400 if "error" in result else 200)

    async def figures(self, request: web.Request, session: Session, access: Access) -> web.Response:
        return web.json_response(await self.dashboard.figures(self._locale(request, session), access.figure_scopes))

    async def map(self, request: web.Request, session: Session, access: Access) -> web.Response:
        svg = await self.dashboard.map_svg(self._locale(request, session))
        return web.Response(text=svg, content_type="image/svg+xml")

"""The units' web workspace (工作台): sign-in, the inbox (待办) and its CSV export, server-rendered in Chinese.

People sign in here with the same user names, passwords and lockout as the API (``POST
/api/auth/token``): a sign-in is a token of the directory's, kept in a signed session cookie
(HttpOnly, SameSite=Lax, Secure over HTTPS) instead of an ``Authorization`` header, so that
revoking tokens, disabling the user or changing the password ends the session too, and ``退出``
revokes it for good. Every form carries a CSRF token (Flask-WTF), checked before any route runs.

Case pages and the action forms are in web.workspace.cases; both use this blueprint.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from itsdangerous import BadData
from werkzeug.exceptions import Forbidden, HTTPException

from adapters.persistence.pg_pool import UNAVAILABLE
from domain.actors import Actor, Role
from domain.appeals.ratings import RECTIFICATION, RECTIFICATION_TITLE
from domain.approvals.profiles import DEADLINE_TITLES
from domain.deadlines.clocks import ended_by, working_days_left
from domain.errors import AuthenticationFailed, CaseNotFound, LoginThrottled, NotPermitted
from domain.notices import DEFAULT_WARNING_WORKING_DAYS, in_window
from domain.permissions import EVERYONE, listing_unit
from projections.cases.case_list import CaseListQuery
from projections.cases.deadline_watch import ReadModelBehind
from web.api.presenters import iso
from web.errors import handle_http_exception, handle_read_model_behind, handle_unavailable
from web.labels import APPEAL_STATUSES, APPROVAL_STATUSES, KIND, ROLE, merge_notice, status_name
from web.workspace.forms import LoginForm, SignOutForm
from web.workspace.lookups import container

bp = Blueprint("workspace", __name__, template_folder="templates", static_folder="static", static_url_path="/static")
csrf = CSRFProtect()
PER_PAGE = 20
COUNT_LIMIT = 2000  # the inbox counts this far ("2000 件以上"); the CSV holds every case
EXPORT_BATCH = 1000
PUBLIC_ENDPOINTS = {"workspace.login", "workspace.static"}


class WorkspaceSessions(SecureCookieSessionInterface):
    """The session cookie is marked Secure whenever the request came over HTTPS (or the setting says).

    A cookie that does not read as a session is no session (the sign-in page), whatever is wrong with it:
    Flask forgives only a bad signature, and a cookie signed with the service's secret but carrying a
    payload that is not a JSON object (another layout, a number Python refuses) would otherwise be a 500.
    """

    def open_session(self, app, request):
        try:
            return super().open_session(app, request)
        except (BadData, TypeError, ValueError):
            return self.session_class()

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def init_app(app) -> None:
    app.config.update(
        SESSION_COOKIE_NAME="caseledger_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.session_interface = WorkspaceSessions()
    csrf.init_app(app)
    app.register_blueprint(bp)
    # After web.errors.register: the same errors, as pages outside the API.
    app.register_error_handler(HTTPException, page_or_document)
    app.register_error_handler(ReadModelBehind, read_models_behind_page_or_document)
    for unavailable in UNAVAILABLE:
        app.register_error_handler(unavailable, unavailable_page_or_document)


# -- who may see a page -----------------------------------------------------------------------------
class PageForbidden(Forbidden):
    description = "本页面不在您的职责范围内，您无权查看。"


def for_roles(roles: Iterable[Role]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A page for these roles only (the same roles the API grants for what the page shows); anyone else
    signed in gets 403 and nothing of the page."""
    allowed = frozenset(roles)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if g.actor.role not in allowed:
                raise PageForbidden()
            return view(*args, **kwargs)

        guarded.roles = allowed  # type: ignore[attr-defined]  # read by the navigation
        return guarded

    return decorate


# The navigation: each role sees the pages it may open, in this order (a page not registered is left out).
NAV = (
    ("待办", "workspace.inbox"),
    ("登记诉求", "workspace.new_appeal"),
    ("受理申请", "workspace.new_approval"),
    ("期限监测", "workspace.deadline_sweep"),
    ("问责台账", "workspace.accountability_register"),
    ("联合办理台账", "workspace.joint_register"),
    ("月度通报", "workspace.monthly_report"),
    ("堵点分析", "workspace.recurring_report"),
    ("本单位台账", "workspace.unit_ledger"),  # a unit's own, for a unit user (the others reach it from the register)
    ("本单位问责记录", "workspace.unit_accountability"),
    ("预警通知", "workspace.notices_page"),
    ("办理记录检索", "workspace.audit_trail"),
    ("存证核验", "workspace.audit_verify"),
    ("单位管理", "workspace.admin_units"),
    ("用户管理", "workspace.admin_users"),
)


UNIT_PAGES = frozenset({"workspace.unit_ledger", "workspace.unit_accountability"})


def navigation(actor: Actor) -> list[tuple[str, str, bool]]:
    """(label, URL, current) of every page of NAV the actor may open."""
    items = []
    for label, endpoint in NAV:
        view = current_app.view_functions.get(endpoint)
        if view is None or actor.role not in getattr(view, "roles", EVERYONE):
            continue
        if endpoint in UNIT_PAGES:
            if actor.role is not Role.UNIT or not actor.unit:
                continue
            url = url_for(endpoint, code=actor.unit)
        else:
            url = url_for(endpoint)
        items.append((label, url, request.endpoint == endpoint))
    return items


# -- who is signed in ------------------------------------------------------------------------------
@bp.before_request
def signed_in():
    """Every page but the sign-in needs a signed-in user; every POST a valid CSRF token."""
    if request.method == "POST":
        csrf.protect()
    g.actor = _session_actor()
    if g.actor is None and request.endpoint not in PUBLIC_ENDPOINTS:
        target = request.full_path.rstrip("?") if request.method == "GET" else "/"
        return redirect(url_for("workspace.login", next=target), 303)
    return None


def _session_actor() -> Actor | None:
    """The session's user, if its sign-in is still honoured (not expired, revoked or disabled)."""
    claims = container().tokens.claims_of({key: session.get(key) for key in ("u", "j", "i")})
    if claims is None or container().clock() >= claims.expires_at:
        return None
    user = container().directory.user(claims.username)
    if user is None or not user.accepts_token(claims.token_id, claims.issued_at):
        return None
    g.user, g.claims = user, claims
    return Actor(user.username, Role(user.role), user.unit)


@bp.app_context_processor
def page_globals() -> dict[str, Any]:
    actor = g.get("actor")
    return {
        "actor": actor,
        "role_name": ROLE.get(actor.role.value, "") if actor else "",
        "actor_unit_name": unit_name(actor.unit) if actor and actor.unit else "",
        "sign_out": SignOutForm() if actor else None,
        "nav": navigation(actor) if actor else [],
        "kind_name": KIND,
    }


def unit_names() -> dict[str, str]:
    if "unit_names" not in g:
        g.unit_names = {u.code: u.name for u in container().directory.units()}
    return g.unit_names


def unit_name(code: str | None) -> str:
    return unit_names().get(code or "", code or "")


# -- sign in and out ------------------------------------------------------------------------------
@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        if g.actor is not None:
            return redirect(_local(request.args.get("next")), 303)
        form.next.data = request.args.get("next", "")
        return render_template("login.html", form=form, errors={}, summary=[])
    username = (form.username.data or "").strip()
    tokens = container().tokens
    claims = tokens.new_claims(username)
    try:
        user = container().directory.authenticate(
            username, form.password.data or "", token_id=claims.token_id, client=request.remote_addr
        )
    except LoginThrottled as refused:
        until = refused.until.astimezone(UTC)
        message = f"登录失败次数过多，该用户名已暂时锁定，请于 {iso(until, 'minutes')[11:16]} 后再试"
        return _login_refused(form, {"username": message}, 429, {"Retry-After": _retry_after(until)})
    except AuthenticationFailed:
        return _login_refused(form, {"password": "用户名或密码不正确"}, 401)
    session.clear()  # a fresh session at every sign-in: nothing carried over from before it
    session.update(u=user.username, j=claims.token_id, i=claims.issued_at.timestamp())
    return redirect(_local(form.next.data), 303)


def _login_refused(form: LoginForm, errors: dict[str, str], status: int, headers: dict[str, str] | None = None):
    form.password.data = ""
    return (
        render_template("login.html", form=form, errors=errors, summary=list(errors.items())),
        status,
        headers or {},
    )


def _retry_after(until: datetime) -> str:
    return str(max(1, int((until - container().clock()).total_seconds()) + 1))


def _local(target: str | None) -> str:
    """Only a path of this site is followed after sign-in (no open redirect)."""
    if not target:
        return url_for("workspace.inbox")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("workspace.inbox")
    return target


@bp.post("/logout")
def logout():
    """退出: the session's token is revoked (recorded), so the cookie is worth nothing even if kept."""
    if g.actor is not None:
        container().directory.revoke_token(g.actor.user, g.claims.token_id, g.claims.expires_at, g.actor)
    session.clear()
    flash("已退出登录。")
    return redirect(url_for("workspace.login"), 303)


# -- the inbox (待办) -------------------------------------------------------------------------------
def _filters() -> dict[str, Any]:
    args = request.args
    kind = args.get("kind", "")
    kind = kind if kind in KIND else ""
    statuses = {"appeal": APPEAL_STATUSES, "approval": APPROVAL_STATUSES}.get(kind, APPEAL_STATUSES + APPROVAL_STATUSES)
    status = args.get("status") if args.get("status") in statuses else ""
    unit = (args.get("unit") or "").strip() if g.actor.role is not Role.UNIT else ""
    page = args.get("page", "1")
    return {
        "kind": kind,
        "status": status,
        "overdue": args.get("overdue") == "1",
        "ended": args.get("ended") == "1",  # 包括已结束的案件: those of domain.status.DONE_STATUSES too
        "q": (args.get("q") or "").strip()[:200],
        "unit": unit,
        "page": max(1, min(int(page), 10**6)) if page.isdigit() else 1,
    }


def _query(f: dict[str, Any], page: int, per_page: int, now: datetime, count_limit: int | None = None) -> CaseListQuery:
    return CaseListQuery(
        kind=f["kind"] or None,
        unit=f["unit"] or None,
        status=f["status"] or None,
        open_only=not f["status"] and not f["ended"],  # 待办: a case that has ended leaves it unless asked for
        overdue=True if f["overdue"] else None,
        q=f["q"] or None,
        viewer_unit=listing_unit(g.actor),
        deadlines_of=g.actor.unit if g.actor.role is Role.UNIT else None,
        sort="due",
        page=page,
        per_page=per_page,
        now=now,
        count_limit=count_limit,
    )


def _row(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A case of the list as the inbox shows it: the one verdict of the read model (next deadline,
    overdue) with its working days left on the case's calendar."""
    due, ends = row["next_due"], row["next_ends_at"]
    calendar = _calendar(row["profile"], row["kind"])
    return {
        "id": row["id"],
        "kind": row["kind"],
        "kind_name": KIND[row["kind"]],
        "case_no": row["case_no"],
        "subject": row["subject"] or "",
        "status": status_name(row["status"]),
        "unit": unit_name(row["unit"]),
        "next_deadline": _deadline_title(row["profile"], row["kind"], row["next_deadline"]),
        "due": iso(due, "minutes").replace("T", " ")[:16] if due else "",
        "days_left": working_days_left(due, calendar, now) if due else None,
        "overdue": ended_by(ends, now),
        "approaching": bool(ends) and in_window(ends, now, calendar, warning_days(row["profile"])),
        "provisional": bool(row["provisional"]),
        "url": url_for(f"workspace.{row['kind']}_page", case_id=row["id"]),
        "merge_notice": merge_notice(row.get("merged_into"), row.get("repeats") or 0),
        "handback_pending": row["status"] == "handback_requested",  # 待审核退单: awaits the platform's ruling
    }


def _deadline_title(profile_id: str, kind: str, name: str | None) -> str:
    """A deadline's title as its profile names it (the list keeps only its name)."""
    if not name:
        return ""
    if kind == "approval":
        return DEADLINE_TITLES.get(name, name)
    cache = g.setdefault("deadline_titles", {})
    if profile_id not in cache:
        try:
            profile = container().profiles.get(profile_id, kind=kind)
            rules = [*profile.deadlines, *(r for tier in profile.tiers.values() for r in tier)]
        except KeyError:
            rules = []
        cache[profile_id] = {r.name: r.title for r in rules} | {RECTIFICATION: RECTIFICATION_TITLE}
    return cache[profile_id].get(name, name)


def warning_days(profile_id: str) -> int:
    """The profile's warning window (预警), in working days before a deadline's end."""
    notices = container().notices
    return notices.deriver.window_of(profile_id) if notices else DEFAULT_WARNING_WORKING_DAYS


def _calendar(profile_id: str, kind: str):
    cache = g.setdefault("calendars", {})
    if profile_id not in cache:
        try:
            jurisdiction = container().profiles.get(profile_id, kind=kind).jurisdiction
        except KeyError:
            jurisdiction = None
        cache[profile_id] = container().calendars.for_jurisdiction(jurisdiction)
    return cache[profile_id]


@bp.get("/")
def inbox():
    """待办: the signed-in unit's cases (or, for the platform and readers, every case), by due time."""
    container().wait_for_views()
    now = container().clock()
    f = _filters()
    limit = max(COUNT_LIMIT, f["page"] * PER_PAGE + 1)  # never fewer than the pages up to this one
    rows, total = container().read_models["case_list"].view.query(_query(f, f["page"], PER_PAGE, now, limit))
    pages = max(1, -(-total // PER_PAGE))
    kept = {
        k: v
        for k, v in (
            ("kind", f["kind"]),
            ("status", f["status"]),
            ("overdue", "1" if f["overdue"] else ""),
            ("ended", "1" if f["ended"] else ""),
            ("q", f["q"]),
            ("unit", f["unit"]),
        )
        if v
    }
    return render_template(
        "inbox.html",
        rows=[_row(r, now) for r in rows],
        total=total,
        open_only=not f["status"] and not f["ended"],
        more=total >= limit,
        page=f["page"],
        pages=pages,
        f=f,
        statuses=_status_choices(f["kind"]),
        units=sorted(unit_names().items()) if g.actor.role is not Role.UNIT else [],
        page_url=lambda n: url_for("workspace.inbox") + "?" + urlencode({**kept, "page": n}),
        export_url=url_for("workspace.inbox_csv") + ("?" + urlencode(kept) if kept else ""),
    )


def _status_choices(kind: str) -> list[tuple[str, str]]:
    """The statuses to filter by: of the kind chosen, or of both, each then named with its kind."""
    if kind:
        return [(s, status_name(s)) for s in (APPEAL_STATUSES if kind == "appeal" else APPROVAL_STATUSES)]
    return [(s, f"{KIND['appeal']}·{status_name(s)}") for s in APPEAL_STATUSES] + [
        (s, f"{KIND['approval']}·{status_name(s)}") for s in APPROVAL_STATUSES if s not in APPEAL_STATUSES
    ]


CSV_COLUMNS = (
    "类型",
    "编号",
    "标题",
    "状态",
    "承办单位",
    "下一期限",
    "截止时间",
    "剩余工作日",
    "是否超期",
    "截止时间为暂定",
)


@bp.get("/inbox.csv")
def inbox_csv():
    """The inbox's filtered list, every page of it, as CSV (UTF-8 with BOM, so that Excel reads it)."""
    container().wait_for_views()
    now = container().clock()
    f = _filters()
    view = container().read_models["case_list"].view

    def lines() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        yield "\ufeff" + _drain(out)
        page = 1
        while True:
            rows, total = view.query(_query(f, page, EXPORT_BATCH, now))
            for r in rows:
                row = _row(r, now)
                writer.writerow(
                    (
                        row["kind_name"],
                        row["case_no"],
                        row["subject"],
                        row["status"],
                        row["unit"],
                        row["next_deadline"],
                        row["due"],
                        "" if row["days_left"] is None else row["days_left"],
                        "已超期" if row["overdue"] else "",
                        "是" if row["provisional"] else "",
                    )
                )
            yield _drain(out)
            if page * EXPORT_BATCH >= total or not rows:
                return
            page += 1

    stamp = now.astimezone().strftime("%Y%m%d-%H%M")
    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f"attachment; filename=inbox-{stamp}.csv",
        },
    )


def _drain(out: io.StringIO) -> str:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


# -- refusals as pages ----------------------------------------------------------------------------
# Every error a page can meet, in the clerk's words (werkzeug's own texts are English).
ERROR_PAGES = {
    400: ("请求有误", "请求的内容不完整或格式不正确，未作任何记录。请返回上一页检查后重新提交。"),
    403: ("无权查看", "本页面不在您的职责范围内，您无权查看。"),
    404: ("未找到页面", "您要找的页面不存在，请检查地址是否正确，或从导航栏进入。"),
    405: ("不支持该操作", "该页面不接受这种操作方式，未作任何记录。"),
    408: ("请求超时", "提交用时过长，连接已断开，未作任何记录。请重新提交。"),
    413: ("提交的内容过大", "提交的内容超过系统允许的大小，未作任何记录。"),
    414: ("地址过长", "请求的地址过长，请缩短筛选条件后重试。"),
    429: ("操作过于频繁", "请稍后再试。"),
    431: ("请求有误", "请求头过大，请清除浏览器中本站的数据后重试。"),
    500: ("系统出错", "系统处理您的请求时出错，未作任何记录。请稍后重试；如仍出错，请联系系统管理员。"),
    503: ("系统暂不可用", "数据库暂时无法连接或数据正在更新，未作任何记录。请稍后刷新页面。"),
}


def error_page(
    status: int, title: str | None = None, message: str | None = None, headers: dict[str, str] | None = None
):
    default_title, default_message = ERROR_PAGES.get(status, ERROR_PAGES[500 if status >= 500 else 400])
    body = render_template("error.html", title=title or default_title, message=message or default_message)
    return body, status, headers or {}


def wants_page() -> bool:
    """A request to the workspace (any path outside the JSON API and the health check) is answered with a page."""
    return not (request.path == "/api" or request.path.startswith("/api/") or request.path == "/healthz")


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError):
    return error_page(
        400,
        "请求未通过校验",
        "表单已过期或不是从本系统提交的（缺少有效的防伪令牌），未作任何记录。请返回页面刷新后重新提交。",
    )


@bp.errorhandler(NotPermitted)
def not_permitted(error: NotPermitted):
    return error_page(403, "无权查看", "该案件不由本单位办理，您无权查看或办理。")


@bp.errorhandler(CaseNotFound)
def not_found(error: CaseNotFound):
    return error_page(404, "未找到", "没有这个案件。")


def page_or_document(error: HTTPException):
    """Outside the API, an HTTP error is a page in Chinese; inside it, the API's JSON error document."""
    if not wants_page():
        return handle_http_exception(error)
    return error_page(error.code or 500)


def unavailable_page_or_document(error: Exception):
    if not wants_page():
        return handle_unavailable(error)
    return error_page(503, headers={"Retry-After": "5"})


def read_models_behind_page_or_document(error: ReadModelBehind):
    if not wants_page():
        return handle_read_model_behind(error)
    return error_page(503, headers={"Retry-After": "5"})

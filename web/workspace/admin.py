"""系统管理: the administrators' pages for units and users (``/admin/units``, ``/admin/users``).

Each form makes the call the command line makes (``caseledger unit add``, ``unit head``, ``unit
disable``, ``user add``, ``user disable``, ``user enable``, ``user revoke-tokens``) on the same
directory service, with the signed-in administrator as the actor recorded, and so the same
validation and refusals, in the clerk's words. A refused form records nothing and shows the page
again with every problem at once (422 for the input, 409 for a unit or user whose state does not
allow it now); a recorded one redirects to the page (post/redirect/get) with a confirmation.

There is no way back from disabling a unit: the directory has no enabling of units, so none is
offered. Users are disabled and enabled again; disabling one, or ending all its sessions, ends
every sign-in it holds, in the browser and over the API alike.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField

from domain.actors import Role
from domain.deadlines.periods import SHANGHAI
from domain.directory.records import Unit, User
from domain.directory.service import DirectoryAct
from domain.errors import AlreadyExists, CaseNotFound, NotAllowedInState, ValidationFailed
from web.labels import EVENT, ROLE
from web.workspace.formats import shown_at
from web.workspace.forms import choices
from web.workspace.pages import bp, container, error_page, for_roles

# Units and users are the administrators' alone (系统管理); every other role gets 403.
ADMINS = frozenset({Role.ADMIN})
RECENT_ACTS = 20
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# -- forms ------------------------------------------------------------------------------------------
class NewUnitForm(FlaskForm):
    code = StringField("单位代码")
    name = StringField("单位名称")


class HeadForm(FlaskForm):
    code = SelectField("单位", validate_choice=False)
    name = StringField("主要负责人姓名")
    from_day = StringField("任职起始日")


class DisableForm(FlaskForm):
    reason = StringField("停用理由（可不填）")


class NewUserForm(FlaskForm):
    username = StringField("用户名")
    role = SelectField("角色", choices=choices([("", "请选择"), *ROLE.items()]), validate_choice=False)
    unit = SelectField("所属单位（仅承办单位用户选择）", validate_choice=False)
    password = PasswordField("初始密码")
    password_again = PasswordField("再次输入初始密码")


class UserActForm(FlaskForm):
    """启用 or 结束全部会话: a button and its CSRF token."""


# The domain's name of a field a refusal names → the form's field, per form.
UNIT_FIELDS = {"code": "code", "name": "name", "parent": "code"}
HEAD_FIELDS = {"code": "code", "name": "name", "from": "from_day"}
USER_FIELDS = {"username": "username", "role": "role", "unit": "unit", "password": "password"}


# -- units ------------------------------------------------------------------------------------------
@bp.route("/admin/units", methods=["GET", "POST"])
@for_roles(ADMINS)
def admin_units():
    """The units, and 新增单位 (posted here)."""
    if request.method == "GET":
        return _units_page()
    form = NewUnitForm()
    code, name = (form.code.data or "").strip(), form.name.data or ""
    directory = container().directory
    try:
        unit = directory.add_unit(g.actor, code, name)
    except (ValidationFailed, AlreadyExists) as refused:
        errors = _field_errors(refused, UNIT_FIELDS, "code", "该单位代码已被使用")
        return _units_page(unit_form=form, errors={"unit": errors}, status=422)
    flash(f"已新增单位 {unit.code}（{unit.name}）。")
    return redirect(url_for("workspace.admin_units"), 303)


@bp.post("/admin/units/head")
@for_roles(ADMINS)
def admin_appoint_head():
    """登记主要负责人: who heads a unit from a day on (``caseledger unit head``)."""
    form = HeadForm()
    code, name, day = (form.code.data or "").strip(), form.name.data or "", _day(form.from_day.data)
    try:
        unit = container().directory.appoint_head(g.actor, code, name, day)
    except ValidationFailed as refused:
        return _units_page(head_form=form, errors={"head": _field_errors(refused, HEAD_FIELDS)}, status=422)
    except CaseNotFound:
        errors = {"code": "请选择单位"}
        return _units_page(head_form=form, errors={"head": errors}, status=422)
    assert day is not None  # the directory refuses a missing day
    flash(f"已登记：{name.strip()} 自 {day.isoformat()} 起任{unit.name}主要负责人。")
    return redirect(url_for("workspace.admin_units"), 303)


@bp.post("/admin/units/<code>/disable")
@for_roles(ADMINS)
def admin_disable_unit(code: str):
    """停用单位 (``caseledger unit disable``): for good, as the directory has no enabling of units."""
    form = DisableForm()
    try:
        unit = container().directory.disable_unit(g.actor, code, _optional(form.reason.data))
    except CaseNotFound:
        return error_page(404, "未找到", "没有这个单位。")
    except NotAllowedInState as refused:
        return _units_page(errors={"rows": {code: refused.zh or "该单位当前不能停用"}}, status=409)
    flash(f"已停用单位 {unit.code}（{unit.name}）。")
    return redirect(url_for("workspace.admin_units"), 303)


def _units_page(
    unit_form: NewUnitForm | None = None,
    head_form: HeadForm | None = None,
    errors: dict[str, dict[str, str]] | None = None,
    status: int = 200,
):
    directory = container().directory
    errors = errors or {}
    today = container().clock().astimezone(SHANGHAI).date()
    units = sorted(directory.units(), key=lambda u: u.code)
    head_form = head_form or HeadForm(formdata=None)
    head_form.code.choices = choices(
        [("", "请选择"), *((u.code, u.name if u.active else f"{u.name}（已停用）") for u in units)]
    )
    names = {u.code: u.name for u in units}
    return render_template(
        "admin_units.html",
        units=[_unit_row(u, today) for u in units],
        unit_form=unit_form or NewUnitForm(formdata=None),
        head_form=head_form,
        errors=errors,
        summary=_summary(errors, {"unit": "unit", "head": "head"}, "unit-row"),
        acts=[_act(a, "unit", names) for a in directory.recent_acts(Unit, RECENT_ACTS)],
        disable_form=DisableForm(formdata=None),
    ), status


def _unit_row(unit: Unit, today: date) -> dict[str, Any]:
    head, coming = unit.head_on(today), unit.next_head_after(today)
    return {
        "code": unit.code,
        "name": unit.name,
        "active": unit.active,
        "head": head["name"] if head else "",
        "head_from": head["from"] if head else "",
        "coming": f"{coming['from']} 起：{coming['name']}" if coming else "",
    }


# -- users ------------------------------------------------------------------------------------------
@bp.route("/admin/users", methods=["GET", "POST"])
@for_roles(ADMINS)
def admin_users():
    """The users, and 新增用户 (posted here): the initial password typed twice, as the command line asks it."""
    if request.method == "GET":
        return _users_page()
    form = NewUserForm()
    username, role = (form.username.data or "").strip(), form.role.data or ""
    unit, password = (form.unit.data or "").strip() or None, form.password.data or ""
    errors: dict[str, str] = {}
    directory = container().directory
    try:
        directory.check_new_user(username, role, password, unit)  # every problem, with the form's own below
    except (ValidationFailed, AlreadyExists) as refused:
        errors = _field_errors(refused, USER_FIELDS, "username", "该用户名已被使用")
    if not form.password_again.data:
        errors["password_again"] = "请再次输入初始密码"
    elif form.password_again.data != password:
        errors["password_again"] = "两次输入的密码不一致"
    if not errors:
        try:
            user = directory.add_user(g.actor, username, role, password, unit)
        except (ValidationFailed, AlreadyExists) as refused:  # added meanwhile by someone else
            errors = _field_errors(refused, USER_FIELDS, "username", "该用户名已被使用")
        else:
            where = f" · {_unit_name(user.unit)}" if user.unit else ""
            flash(f"已新增用户 {user.username}（{ROLE[user.role]}{where}），请将初始密码告知本人。")
            return redirect(url_for("workspace.admin_users"), 303)
    ordered = {name: errors[name] for name in form._fields if name in errors}
    return _users_page(user_form=form, errors={"user": ordered}, status=422)


@bp.post("/admin/users/<username>/disable")
@for_roles(ADMINS)
def admin_disable_user(username: str):
    """停用用户 (``caseledger user disable``): it can no longer sign in, and every sign-in it holds ends."""
    form = DisableForm()
    return _user_act(
        username,
        lambda: container().directory.disable_user(g.actor, username, _optional(form.reason.data)),
        f"已停用用户 {username}，其全部会话已结束，不能再登录。",
    )


@bp.post("/admin/users/<username>/enable")
@for_roles(ADMINS)
def admin_enable_user(username: str):
    """启用用户 (``caseledger user enable``): it may sign in again; sessions ended by the disablement stay ended."""
    UserActForm()
    return _user_act(
        username,
        lambda: container().directory.enable_user(g.actor, username),
        f"已启用用户 {username}，可以重新登录。",
    )


@bp.post("/admin/users/<username>/revoke-tokens")
@for_roles(ADMINS)
def admin_revoke_tokens(username: str):
    """结束全部会话 (``caseledger user revoke-tokens``): every token the user holds is revoked, in the browser
    and over the API; it signs in again to go on."""
    UserActForm()
    return _user_act(
        username,
        lambda: container().directory.revoke_all_tokens(g.actor, username),
        f"已结束用户 {username} 的全部会话（吊销全部令牌），该用户须重新登录。",
    )


def _user_act(username: str, act, done: str):
    try:
        act()
    except CaseNotFound:
        return error_page(404, "未找到", "没有这个用户。")
    except NotAllowedInState as refused:
        return _users_page(errors={"rows": {username: refused.zh or "该用户当前不能办理此项"}}, status=409)
    flash(done)
    return redirect(url_for("workspace.admin_users"), 303)


def _users_page(user_form: NewUserForm | None = None, errors: dict[str, dict[str, str]] | None = None, status=200):
    directory = container().directory
    errors = errors or {}
    units = sorted(directory.units(), key=lambda u: u.code)
    names = {u.code: u.name for u in units}
    user_form = user_form or NewUserForm(formdata=None)
    user_form.unit.choices = choices([("", "不属于任何单位"), *((u.code, u.name) for u in units if u.active)])
    last = directory.last_sign_ins()
    users = sorted(directory.users(), key=lambda u: u.username)
    return render_template(
        "admin_users.html",
        users=[_user_row(u, names, last) for u in users],
        user_form=user_form,
        errors=errors,
        summary=_summary(errors, {"user": "user"}, "user-row"),
        acts=[_act(a, "user", names) for a in directory.recent_acts(User, RECENT_ACTS)],
        disable_form=DisableForm(formdata=None),
        act_form=UserActForm(formdata=None),
    ), status


def _user_row(user: User, names: dict[str, str], last: dict[str, Any]) -> dict[str, Any]:
    return {
        "username": user.username,
        "role": ROLE.get(user.role, user.role),
        "unit": names.get(user.unit or "", user.unit or ""),
        "active": user.active,
        "last_sign_in": shown_at(last[user.username]) if user.username in last else "",
        "self": user.username == g.actor.user,
    }


# -- shared -----------------------------------------------------------------------------------------
def _day(text: str | None) -> date | None:
    """A day typed as YYYY-MM-DD (what a date field sends); anything else is None, for the directory to refuse."""
    text = (text or "").strip()
    if not DAY.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _optional(text: str | None) -> str | None:
    return (text or "").strip() or None


def _field_errors(
    refused: ValidationFailed | AlreadyExists, fields: dict[str, str], taken_field: str = "", taken: str = ""
) -> dict[str, str]:
    """The refusal's messages by the form's fields, in the directory's Chinese words."""
    if isinstance(refused, AlreadyExists):
        return {taken_field: taken}
    errors: dict[str, str] = {}
    for name in refused.fields:
        field = fields.get(name, name)
        errors.setdefault(field, refused.zh.get(name) or "填写的内容不符合要求")
    return errors


def _summary(errors: dict[str, dict[str, str]], prefixes: dict[str, str], row_prefix: str) -> list[tuple[str, str]]:
    """The error summary's lines: each field's message, linked to the field (``{form}-{field}``), and a row's,
    linked to its row."""
    summary = []
    for form, prefix in prefixes.items():
        summary += [(f"{prefix}-{name}", message) for name, message in errors.get(form, {}).items()]
    summary += [(f"{row_prefix}-{key}", message) for key, message in errors.get("rows", {}).items()]
    return summary


def _unit_name(code: str | None) -> str:
    unit = container().directory.unit(code) if code else None
    return unit.name if unit else code or ""


def _act(act: DirectoryAct, kind: str, names: dict[str, str]) -> dict[str, str]:
    """One recorded act as the page lists it: when, what, on which, what it said, and who did it."""
    data = act.data
    if kind == "unit":
        subject = f"{names.get(act.subject, data.get('name', ''))}（{act.subject}）"
    else:
        subject = act.subject
    details = []
    if act.type == "Registered" and kind == "user":
        details.append(f"角色：{ROLE.get(data.get('role', ''), data.get('role', ''))}")
        if data.get("unit"):
            details.append(f"单位：{names.get(data['unit'], data['unit'])}")
    if act.type == "HeadAppointed":
        details.append(f"主要负责人：{data.get('name', '')}，自 {data.get('from_day', '')} 起")
    if data.get("reason"):
        details.append(f"理由：{data['reason']}")
    return {
        "at": shown_at(act.at),
        "name": EVENT.get(act.type, act.type),
        "subject": subject,
        "details": "；".join(details),
        "actor": actor_name(act.actor, names),
    }


def actor_name(actor: dict[str, Any], names: dict[str, str]) -> str:
    """Who did it: the user name and role (and unit); an operator at the command line as such."""
    user, role, unit = actor.get("user") or "", actor.get("role") or "", actor.get("unit")
    if user.startswith("cli:"):
        return f"{user[4:]}（命令行 · {ROLE.get(role, role)}）"
    where = f" · {names.get(unit, unit)}" if unit else ""
    return f"{user}（{ROLE.get(role, role)}{where}）" if user else "—"

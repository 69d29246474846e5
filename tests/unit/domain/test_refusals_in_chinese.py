"""Every refusal the domain raises says in Chinese what is wrong (the web workspace shows it to clerks).

A ``ValidationFailed`` or ``LimitReached`` carries ``zh``: the same message for the same fields, in the
clerk's words; a ``NotAllowedInState`` (and ``OneTimeNoticeUsed``) its reason in Chinese, as its second
argument or ``zh=``. Fields given as a dict are matched by a ``zh`` dict of the same keys; fields built up
one by one are a ``problems`` dict, raised with a parallel ``zh`` beside it.

In the Chinese texts the code can see (the literal parts of each ``zh`` and of what is assigned to a
``zh`` dict or passed as the Chinese of a helper), no English word, and no rule's short code, profile id
or status code: a rule is cited through ``citation`` and a status named through ``name_of``
(domain/vocabulary.py). The texts themselves, as raised: tests/integration/test_refusals_in_chinese.py.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
REFUSALS = {"ValidationFailed", "LimitReached", "NotAllowedInState", "OneTimeNoticeUsed"}
REASON_SECOND = {"NotAllowedInState", "OneTimeNoticeUsed"}  # (message, zh, ...)
# The domain's helpers that raise on a caller's behalf, and where their callers give the Chinese:
# positional index (a pair's second item, where the helper takes an (English, Chinese) pair).
HELPERS = {
    "check_reason": [(3, None)],  # (reason, field, why, zh)
    "listed": [(3, None), (4, 1)],  # (items, field, why, zh, (repeated, repeated_zh))
    "check_judgement": [(4, None)],  # (decision, text, text_field, text_why, text_zh)
}
LATIN = re.compile(r"[A-Za-z]")
# What a text must not format bare: a rule's short code (cite it), a profile's id, a status or other code.
CODES = {"source", "id", "status", "code", "deadline", "kind", "action"}
SPEAKERS = {"citation", "name_of"}  # what turns a code into words


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _modules(root: Path) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted((root / "domain").rglob("*.py")):
        yield path.relative_to(root).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _zh_argument(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "zh":
            return keyword.value
    if name in REASON_SECOND and len(call.args) >= 2:
        return call.args[1]
    return None


def _refusal_problem(call: ast.Call, name: str) -> str | None:
    """What is wrong with one raise site's Chinese, if anything."""
    zh = _zh_argument(call, name)
    if zh is None or (isinstance(zh, ast.Constant) and zh.value is None):
        return f"{name} without zh"
    if name in REASON_SECOND:
        return None
    fields = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "fields"), None)
    if isinstance(fields, ast.Name) and fields.id == "problems":
        return None if any(k.arg == "zh" for k in call.keywords) else "problems without zh="
    if isinstance(fields, ast.Dict):
        if not isinstance(zh, ast.Dict):
            return "fields given as a dict, zh not"
        keys = sorted(ast.dump(k) for k in fields.keys if k is not None)
        if keys != sorted(ast.dump(k) for k in zh.keys if k is not None):
            return "zh names other fields than the message"
        return None
    return "fields neither a dict nor a problems dict"


def refusals_without_chinese(root: Path = ROOT) -> list[str]:
    found: list[tuple[str, int, str]] = []
    for module, tree in _modules(root):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (name := _name(node.func)) in REFUSALS:
                problem = _refusal_problem(node, name)
                if problem:
                    found.append((module, node.lineno, problem))
    return [f"{module}:{line}: {problem}" for module, line, problem in sorted(found)]


def _chinese_texts(tree: ast.Module) -> Iterator[ast.expr]:
    """Every expression the code gives as a Chinese text."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (name := _name(node.func)) is not None:
            if name in REFUSALS:
                zh = _zh_argument(node, name)
                if isinstance(zh, ast.Dict):
                    yield from zh.values
                elif zh is not None:
                    yield zh
            for index, item in HELPERS.get(name, []):
                if len(node.args) > index:
                    arg = node.args[index]
                    if item is None:
                        yield arg
                    elif isinstance(arg, ast.Tuple) and len(arg.elts) > item:
                        yield arg.elts[item]
        elif isinstance(node, ast.Assign):
            pairs: list[tuple[ast.expr, ast.expr]] = []
            for target in node.targets:
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    pairs += zip(target.elts, node.value.elts, strict=False)
                else:
                    pairs.append((target, node.value))
            for target, value in pairs:
                held = target.value if isinstance(target, ast.Subscript) else target
                if isinstance(held, ast.Name) and (held.id == "zh" or held.id.lower().endswith("_zh")):
                    yield value


def _literal_parts(expr: ast.expr) -> Iterator[str]:
    """The literal text of a Chinese text, as far as it is written out (not a format spec, not a key)."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        yield expr.value
    elif isinstance(expr, ast.JoinedStr):
        for value in expr.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                yield value.value
            elif isinstance(value, ast.FormattedValue):
                yield from _literal_parts(value.value)
    elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        yield from _literal_parts(expr.left)
        yield from _literal_parts(expr.right)
    elif isinstance(expr, ast.IfExp):
        yield from _literal_parts(expr.body)
        yield from _literal_parts(expr.orelse)
    elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "join":
        yield from _literal_parts(expr.func.value)
        for arg in expr.args:
            yield from _literal_parts(arg.elt if isinstance(arg, ast.GeneratorExp | ast.ListComp) else arg)


def _bare_codes(expr: ast.AST) -> Iterator[str]:
    """The codes a Chinese text formats as they are, outside ``citation(...)`` and ``name_of(...)``."""
    if isinstance(expr, ast.Call) and _name(expr.func) in SPEAKERS:
        return
    if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant) and expr.slice.value in CODES:
        yield ast.unparse(expr)
    elif isinstance(expr, ast.Attribute) and expr.attr in CODES:
        yield ast.unparse(expr)
    for child in ast.iter_child_nodes(expr):
        yield from _bare_codes(child)


def codes_and_english_in_chinese(root: Path = ROOT) -> list[str]:
    found: list[tuple[str, int, str]] = []
    for module, tree in _modules(root):
        for text in _chinese_texts(tree):
            found += [(module, text.lineno, f"English {part!r}") for part in _literal_parts(text) if LATIN.search(part)]
            found += [(module, text.lineno, f"code {code}") for code in _bare_codes(text)]
    return [f"{module}:{line}: {what}" for module, line, what in sorted(found)]


def test_every_refusal_in_the_domain_carries_its_chinese():
    assert refusals_without_chinese() == []


def test_no_chinese_text_of_the_domain_shows_a_code_or_an_english_word():
    assert codes_and_english_in_chinese() == []


def _domain(tmp_path: Path, source: str) -> Path:
    (tmp_path / "domain").mkdir()
    (tmp_path / "domain" / "thing.py").write_text(source, encoding="utf-8")
    return tmp_path


def test_the_checks_find_a_refusal_without_chinese_where_there_is_one(tmp_path):
    root = _domain(
        tmp_path,
        "def f(problems, zh):\n"
        "    raise ValidationFailed({'a': 'x'})\n"
        "    raise errors.LimitReached({'a': 'x'}, zh={'b': '甲'})\n"
        "    raise NotAllowedInState('x')\n"
        "    raise ValidationFailed(problems)\n"
        "    raise ValidationFailed(dict(problems), zh=zh)\n"
        "    raise NotAllowedInState('x', None, status='s')\n"
        "    raise ValidationFailed({'a': 'x'}, zh={'a': '甲'})\n"
        "    raise ValidationFailed(problems, zh=zh)\n"
        "    raise NotAllowedInState('x', '乙')\n"
        "    raise OneTimeNoticeUsed('x', zh='乙')\n",
    )
    assert refusals_without_chinese(root) == [
        "domain/thing.py:2: ValidationFailed without zh",
        "domain/thing.py:3: zh names other fields than the message",
        "domain/thing.py:4: NotAllowedInState without zh",
        "domain/thing.py:5: ValidationFailed without zh",
        "domain/thing.py:6: fields neither a dict nor a problems dict",
        "domain/thing.py:7: NotAllowedInState without zh",
    ]


def test_the_checks_find_a_code_or_an_english_word_in_a_chinese_text(tmp_path):
    root = _domain(
        tmp_path,
        "def f(rule, policy, zh, at):\n"
        "    raise NotAllowedInState('x', f'已达上限（{rule[\"source\"]}）')\n"
        "    zh['a'] = f'规则{policy[\"id\"]}不允许'\n"
        "    problems['b'], zh['b'] = 'x', '须注明 UTC offset'\n"
        "    check_reason(None, 'r', 'x', 'say why')\n"
        "    raise ValidationFailed({'c': 'x'}, zh={'c': f'已达上限（{citation(rule[\"source\"])}，{at:%Y-%m-%d}）'})\n"
        "    raise NotAllowedInState('x', f'案件当前为「{name_of(STATUS, self.status)}」')\n",
    )
    assert codes_and_english_in_chinese(root) == [
        "domain/thing.py:2: code rule['source']",
        "domain/thing.py:3: code policy['id']",
        "domain/thing.py:4: English '须注明 UTC offset'",
        "domain/thing.py:5: English 'say why'",
    ]

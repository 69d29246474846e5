"""A signed-in person at the web workspace, through Flask's test client: pages, forms, CSRF tokens.

Not a test module. ``Clerk.sign_in(api, "power")`` opens a fresh cookie jar, reads the sign-in
form's CSRF token and posts the form as a browser would; ``submit(page, action, fields)`` posts
one of the page's forms with the CSRF token the page carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

from tests.e2e.conftest import PASSWORD

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page carries no CSRF token"
    return found.group(1) or found.group(2)


def text_of(html: str) -> str:
    """The page's words, tags taken out, blanks folded: what a reader of the page sees."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


@dataclass
class Clerk:
    client: Any
    username: str

    @classmethod
    def sign_in(cls, api, username: str, password: str = PASSWORD) -> Clerk:
        clerk = cls(api.client.application.test_client(), username)
        response = clerk.login(password)
        assert response.status_code == 303, (response.status_code, text_of(response.text)[:500])
        return clerk

    def login(self, password: str = PASSWORD, next_: str = ""):
        page = self.client.get("/login")
        return self.client.post(
            "/login",
            data={"username": self.username, "password": password, "next": next_, "csrf_token": csrf_token(page.text)},
        )

    def get(self, path: str, **kwargs: Any):
        return self.client.get(path, **kwargs)

    def submit(
        self,
        page_path: str,
        action: str,
        fields: dict[str, Any] | None = None,
        *,
        version: int | None = None,
        csrf: bool = True,
    ):
        """Posts the page's form for ``action`` (its path under the case), as the page rendered it."""
        page = self.client.get(page_path)
        assert page.status_code == 200, page.status_code
        data = dict(fields or {})
        if csrf:
            data["csrf_token"] = csrf_token(page.text)
        if version is None:
            found = re.search(
                rf'action="{re.escape(page_path)}/{re.escape(action)}".*?name="expected_version" '
                r'value="(\d*)"',
                page.text,
                re.S,
            )
            assert found, f"the page shows no form for {action}"
            version = int(found.group(1))
        data.setdefault("expected_version", str(version))
        return self.client.post(f"{page_path}/{action}", data=data)

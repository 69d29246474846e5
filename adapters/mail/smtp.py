"""The reminders' mail, in Chinese, handed to an SMTP relay with the standard library.

``CASELEDGER_SMTP_URL`` names the relay (``smtp://host:port``; port 25 by default). A mail's
``Message-ID`` is derived from its notice's key (``domain.notices.message_id``), so a mail sent again
after a crash carries the same one. The relay's refusal, or its absence, is a ``MailError``: the
sender tries again later.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import urlsplit

from domain.deadlines.periods import SHANGHAI
from domain.vocabulary import KIND, NOTICE_KIND
from projections.notices import Mailer, MailError, Notice

DEFAULT_FROM = "caseledger@localhost"
TIMEOUT = 10.0


class SmtpURLError(ValueError):
    """``CASELEDGER_SMTP_URL`` is not ``smtp://host[:port]``."""


def parse_smtp_url(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "smtp" or not parts.hostname:
        raise SmtpURLError(f"{url!r}: give smtp://host:port")
    try:
        port = parts.port or 25
    except ValueError:
        raise SmtpURLError(f"{url!r}: the port is not a number") from None
    return parts.hostname, port


def compose(notice: Notice, sender: str, public_url: str) -> EmailMessage:
    """The mail of one notice: the case number, the subject, the deadline, its due time and a link."""
    what = NOTICE_KIND[notice.kind]
    kind = KIND.get(notice.case_kind, "案件")
    due = notice.due.astimezone(SHANGHAI).strftime("%Y年%m月%d日 %H:%M")
    path = "approvals" if notice.case_kind == "approval" else "appeals"
    link = f"{public_url.rstrip('/')}/{path}/{notice.case_id}"
    message = EmailMessage()
    message["Subject"] = f"【{what}】{kind}{notice.case_no}：{notice.title}"
    message["From"] = sender
    message["To"] = notice.to
    message["Message-ID"] = notice.message_id
    message["Date"] = format_datetime(notice.created_at)
    message["X-Caseledger-Notice"] = notice.key
    state = "将于以下时间到期，请及时办理" if notice.kind == "approaching" else "已超过办理时限，尚未完成，请尽快办理"
    message.set_content(
        f"您好：\n\n贵单位承办的{kind}{state}。\n\n"
        f"编号：{notice.case_no}\n"
        f"标题：{notice.subject}\n"
        f"时限：{notice.title}\n"
        f"到期时间：{due}\n"
        f"查看：{link}\n\n"
        "此邮件由系统自动发送，请勿直接回复。\n",
        charset="utf-8",
    )
    return message


class SmtpMailer(Mailer):
    def __init__(self, url: str, sender: str | None, public_url: str) -> None:
        self.host, self.port = parse_smtp_url(url)
        self.sender, self.public_url = sender or DEFAULT_FROM, public_url

    def send(self, notice: Notice) -> None:
        message = compose(notice, self.sender, self.public_url)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT) as smtp:
                smtp.send_message(message, to_addrs=[a for a in notice.to.split(",") if a])
        except (OSError, smtplib.SMTPException) as exc:  # a timeout is an OSError
            raise MailError(f"{type(exc).__name__}: {exc}") from exc

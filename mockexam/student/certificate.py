"""The certificate card of a released result (on the results page): download and share.

The student's current certificate of the session's exam (services/certificates.py):
its code, a download, the verification page, and sharing. Everything is read on the
server for the signed-in student and their own session; the download is a signed link
that lasts an hour (reopening the page makes a fresh one).

Inside Telegram the download goes through `Telegram.WebApp.downloadFile` (Bot API 8.0:
a webview cannot save an attachment itself), sharing opens Telegram's share sheet for
a chat (`t.me/share/url` with the verification link) or posts a story with the share
card (`shareToStory`, Bot API 7.8). In a browser the link downloads as usual and
"Share" uses the system share sheet, else opens the same Telegram share link.
The scripts read the links from the buttons' own attributes, so no value from the
page is ever pasted into code.
"""

from __future__ import annotations

import logging

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.services import certificates
from mockexam.services.transactions import in_session
from mockexam.student.auth import StudentState
from mockexam.student.i18n import pick, tr
from mockexam.ui import theme
from mockexam.ui.backend import BACKEND_ORIGIN
from mockexam.ui.layout import section_card

logger = logging.getLogger(__name__)


def download_script(element_id: str) -> str:
    """Download the link `element_id` (an <a download>) points at: through Telegram's
    downloader inside the Mini App (Bot API 8.0), else as a browser download."""
    return DOWNLOAD_JS.replace("certificate-download", element_id)


# Read the link from the clicked button; Telegram's downloader when the Mini App has one.
DOWNLOAD_JS = """(function(){
var a=document.getElementById('certificate-download'); if(!a) return;
var url=a.href, name=a.getAttribute('download')||'certificate.pdf';
var tg=window.Telegram&&window.Telegram.WebApp;
if(tg&&tg.initData&&tg.downloadFile&&tg.isVersionAtLeast&&tg.isVersionAtLeast('8.0')){
  tg.downloadFile({url:url,file_name:name}); return;}
var link=document.createElement('a'); link.href=url; link.download=name; link.rel='noopener';
document.body.appendChild(link); link.click(); link.remove();
})()"""

SHARE_JS = """(function(){
var b=document.getElementById('certificate-share'); if(!b) return;
var url=b.getAttribute('data-url'), text=b.getAttribute('data-text');
var link='https://t.me/share/url?url='+encodeURIComponent(url)+'&text='+encodeURIComponent(text);
var tg=window.Telegram&&window.Telegram.WebApp;
if(tg&&tg.initData&&tg.openTelegramLink){ tg.openTelegramLink(link); return; }
if(navigator.share){ navigator.share({title:text,text:text,url:url}).catch(function(){}); return; }
window.open(link,'_blank','noopener');
})()"""

STORY_JS = """(function(){
var b=document.getElementById('certificate-story'); if(!b) return;
var tg=window.Telegram&&window.Telegram.WebApp;
if(tg&&tg.shareToStory&&tg.isVersionAtLeast&&tg.isVersionAtLeast('7.8')){
  tg.shareToStory(b.getAttribute('data-media'),{text:b.getAttribute('data-text')});}
})()"""


STORY_SHOW_JS = """(function(){
var b=document.getElementById('certificate-story');
var tg=window.Telegram&&window.Telegram.WebApp;
if(b&&tg&&tg.initData&&tg.shareToStory&&tg.isVersionAtLeast&&tg.isVersionAtLeast('7.8')){
  b.style.display='inline-flex';}
})()"""


class CertificateState(StudentState):
    """The caller's certificate of the session in the page's path."""

    status: str = ""  # "" not released / not read, "pending", "ready"
    code: str = ""
    download_path: str = ""
    file_name: str = ""
    verify_url: str = ""
    card_path: str = ""
    share_text: str = ""

    @rx.event
    async def load(self, init_data: str = ""):
        """Read the certificate of the caller's own session (none for someone else's)."""
        self.status = self.code = self.download_path = self.verify_url = ""
        student_id = await self._sign_in(init_data)
        session_id = self._path_id()
        if student_id is None or session_id is None:
            return
        try:
            released, found = await rx.run_in_thread(
                in_session(
                    lambda db: certificates.for_session(
                        db, student_id=student_id, session_id=session_id
                    ),
                    readonly=True,
                )
            )
        except SQLAlchemyError:
            logger.exception("the certificate of session %s could not be read", session_id)
            return
        if not released:
            return
        if found is None:
            self.status = "pending"
            return
        self.status = "ready"
        self.code, self.file_name = found.code, found.file_name
        self.download_path, self.card_path = found.download_path, found.share_card_path
        self.verify_url = found.verify_url
        self.share_text = pick(
            self.lang,
            "Mening natijam — sertifikat:",
            "Мой результат — сертификат:",
            "My result — the certificate:",
        )


def _button(icon: str, label: rx.Var[str], **props: object) -> rx.Component:
    return rx.button(rx.icon(icon, size=16), label, variant="soft", size="2", width="100%", **props)


def certificate_card() -> rx.Component:
    """The card: code and buttons when ready, a note while it is being made."""
    return rx.match(
        CertificateState.status,
        (
            "ready",
            section_card(
                rx.vstack(
                    rx.hstack(
                        rx.icon("award", size=20, color=theme.ACCENT),
                        rx.text(tr("Sertifikat", "Сертификат", "Certificate"), weight="bold"),
                        rx.spacer(),
                        rx.code(CertificateState.code, id="certificate-code"),
                        width="100%",
                        align="center",
                    ),
                    rx.grid(
                        rx.el.a(
                            _button("download", tr("Yuklab olish", "Скачать", "Download")),
                            href=BACKEND_ORIGIN + CertificateState.download_path,
                            download=CertificateState.file_name,
                            on_click=[rx.prevent_default, rx.call_script(DOWNLOAD_JS)],
                            id="certificate-download",
                        ),
                        _button(
                            "send",
                            tr("Ulashish", "Поделиться", "Share"),
                            on_click=rx.call_script(SHARE_JS),
                            id="certificate-share",
                            custom_attrs={
                                "data-url": CertificateState.verify_url,
                                "data-text": CertificateState.share_text,
                            },
                        ),
                        # Shown only where Telegram can post a story (STORY_SHOW_JS).
                        _button(
                            "image",
                            tr("Storisga", "В историю", "Story"),
                            on_click=rx.call_script(STORY_JS),
                            on_mount=rx.call_script(STORY_SHOW_JS),
                            display="none",
                            grid_column="span 2",
                            id="certificate-story",
                            custom_attrs={
                                "data-media": BACKEND_ORIGIN + CertificateState.card_path,
                                "data-text": CertificateState.share_text
                                + " "
                                + CertificateState.verify_url,
                            },
                        ),
                        columns="2",
                        spacing="2",
                        width="100%",
                    ),
                    rx.link(
                        tr(
                            "Kim bo‘lsa ham kod bilan tekshira oladi",
                            "Любой может проверить его по коду",
                            "Anyone can check it by its code",
                        ),
                        href=CertificateState.verify_url,
                        is_external=True,
                        size="1",
                        id="certificate-verify",
                    ),
                    spacing="3",
                    width="100%",
                    align="start",
                ),
                id="certificate-card",
            ),
        ),
        (
            "pending",
            section_card(
                rx.hstack(
                    rx.spinner(size="2"),
                    rx.text(
                        tr(
                            "Sertifikatingiz tayyorlanmoqda: bir daqiqadan so‘ng shu yerda bo‘ladi.",
                            "Сертификат готовится: через минуту он появится здесь.",
                            "Your certificate is being made: it appears here within a minute.",
                        ),
                        size="2",
                        color=theme.HINT,
                    ),
                    align="center",
                    spacing="3",
                ),
                id="certificate-pending",
            ),
        ),
        rx.fragment(),
    )

"""One payslip as PDF/A-3u bytes, with its data embedded, and that data read back.

Last step of the payslip stage, called by ``engine.payslip.workers`` (one ``Renderer``
per process) and by ``payroll verify`` (``embedded_data``). The renderer holds what is
costly to build and safe to share between documents: WeasyPrint's ``FontConfiguration``,
the parsed stylesheet, the image cache, the glyph coverage of the font chain and a URL
fetcher that serves only files inside the template folder; ``engine.payslip.document``
builds each page's WeasyPrint document (XML parse, lean user-agent stylesheet), and
``engine.payslip.speedups`` keeps WeasyPrint's repeated work for the process. Output
is deterministic: the attachment dates are pinned (``SOURCE_DATE_EPOCH`` when set, else
the period's last day), no other date is written and the file ID is derived from the
content.

Speed: WeasyPrint compresses every stream at zlib level 9 in Python (the CJK font subset
keeps its glyph ids and is a mostly empty 370 KB). Writing uncompressed and compressing
once with qpdf (pikepdf) at the default level, with object streams and a content-derived
file ID, costs about 7% less CPU per payslip (measured with WeasyPrint 70).
"""

from __future__ import annotations

import io
import json
import mimetypes
import os
from collections.abc import Mapping
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import pikepdf
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from engine.errors import InputError, RenderError
from engine.payslip.context import PayslipContext, build_view, load_labels, page_view
from engine.payslip.document import payslip_document
from engine.payslip.fonts import DEFAULT_FONTS, coverage, fallback_glyphs, label_text, locate
from engine.payslip.render import render_html, render_page_css
from engine.payslip.speedups import RENDER_LOCK, install as install_speedups, release
from engine.payslip.subset import COMMON_FAMILY, SOURCE_FAMILY, common_font
from engine.period import parse_month
from engine.problems import Problem, warning
from engine.rules.lines import EmployeeResult

DATA_NAME = "payslip.json"
DATA_FORMAT = "wecom-payroll/payslip@1"
STYLESHEET = "payslip.css"
ENGINE_URL = "file:///wecom-payroll-engine/"  # never a real file: served from memory
COMMON_FONT_URL = ENGINE_URL + "common-font.ttf"
PDF_VARIANT = "pdf/a-3u"


class TemplateFetcher(URLFetcher):
    """Serves files inside one folder and refuses every other URL (no network, no file:///etc).

    ``engine_files`` are resources the renderer itself provides (the common font), served
    from memory under ``ENGINE_URL``; they are not the template's and are not recorded.
    """

    def __init__(self, root: Path, engine_files: Mapping[str, bytes] | None = None) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.root = root.resolve()
        self.engine_files = dict(engine_files or {})
        self.requested: list[str] = []  # every URL asked for, refused or not
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url in self.engine_files:
            return URLFetcherResponse(url, body=self.engine_files[url],
                                      headers={"Content-Type": "font/ttf"})
        self.requested.append(url)
        path = self._inside(url)
        if path is None:
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url!r}: only template files may be used")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})

    def _inside(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path


def pinned_time(month: str, created: datetime | date | None,
                environ: Mapping[str, str] | None = None) -> datetime:
    """The one date written into a payslip (attachment dates), as an aware UTC datetime."""
    environ = os.environ if environ is None else environ
    if isinstance(created, datetime):
        moment = created if created.tzinfo else created.replace(tzinfo=timezone.utc)
    elif isinstance(created, date):
        moment = datetime.combine(created, time(), ZoneInfo(parse_month(month).tz))
    elif environ.get("SOURCE_DATE_EPOCH", "").strip().isdigit():
        moment = datetime.fromtimestamp(int(environ["SOURCE_DATE_EPOCH"]), timezone.utc)
    else:
        period = parse_month(month)
        moment = datetime.combine(period.last_day, time(), ZoneInfo(period.tz))
    return moment.astimezone(timezone.utc)


def hidden_columns(ctx: PayslipContext) -> frozenset[str]:
    """Roster columns never printed nor embedded (the delivery password)."""
    return frozenset({ctx.encrypt_with} if ctx.encrypt_with else ())


def payslip_data(result: EmployeeResult, ctx: PayslipContext) -> dict[str, Any]:
    """The machine-readable payslip embedded in the PDF (Decimals as strings)."""
    hidden = hidden_columns(ctx)
    return {
        "format": DATA_FORMAT,
        "company": ctx.company,
        "month": ctx.month,
        "run_id": ctx.run_id,
        "pack": ctx.pack.model_dump(mode="json", exclude={"path"}),
        "snapshot_sha256": ctx.snapshot_sha256,
        **({"snapshot_file": ctx.snapshot_file} if ctx.snapshot_file else {}),
        "userid": result.userid,
        "name": result.name,
        "lines": [line.model_dump(mode="json") for line in result.lines],
        "totals": result.totals.model_dump(mode="json"),
        "problems": [p.model_dump(mode="json") for p in result.problems],
        **({"balances": [b.model_dump(mode="json") for b in result.balances]}
           if result.balances else {}),
        "inputs": {
            "record": result.record.model_dump(mode="json") if result.record else None,
            "roster": {k: v for k, v in sorted(result.roster.items()) if k not in hidden},
        },
    }


def data_bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1).encode("utf-8")


class Renderer:
    """Reusable rendering state for one template folder and language."""

    def __init__(self, template_dir: Path, lang: str = "zh",
                 fonts: tuple[str, ...] = DEFAULT_FONTS,
                 environ: Mapping[str, str] | None = None) -> None:
        self.template_dir = template_dir.resolve()
        self.lang = lang
        install_speedups()  # no-op with a WeasyPrint other than the one they were made for
        self.labels = load_labels(self.template_dir, lang)
        self.covered = coverage(fonts)
        common = common_font(*locate(SOURCE_FAMILY), extra=label_text(self.labels))
        self.fetcher = TemplateFetcher(self.template_dir, {COMMON_FONT_URL: common})
        self.font_config = FontConfiguration()
        self.cache: dict[str, Any] = {}
        self.environ = dict(os.environ if environ is None else environ)
        css_path = self.template_dir / STYLESHEET
        if not css_path.is_file():
            raise RenderError(f"stylesheet {STYLESHEET} not found in {self.template_dir}")
        face = weasyprint.CSS(
            string=f'@font-face {{ font-family: "{COMMON_FAMILY}"; src: url({COMMON_FONT_URL}); }}',
            url_fetcher=self.fetcher, font_config=self.font_config)
        self.css = [face, weasyprint.CSS(filename=str(css_path), url_fetcher=self.fetcher,
                                         font_config=self.font_config)]
        self._page_css: dict[tuple[str, ...], list[Any]] = {}

    def fits(self, ctx: PayslipContext) -> bool:
        return ctx.template_dir.resolve() == self.template_dir and ctx.lang == self.lang

    def html(self, result: EmployeeResult, ctx: PayslipContext) -> str:
        return self.page(result, ctx)[0]

    def page(self, result: EmployeeResult, ctx: PayslipContext) -> tuple[str, list[Problem]]:
        """The page, with characters no font draws in their printable form (a warning)."""
        view = build_view(result, ctx, self.labels, hidden_columns(ctx))
        html, missing = fallback_glyphs(render_html(view, self.template_dir), self.covered)
        if not missing:
            return html, []
        return html, [warning("payslip", "missing_glyph",
                              f"no installed font draws {', '.join(missing)}; printed as "
                              "[U+XXXX] on the payslip", userid=result.userid)]

    def stylesheets(self, ctx: PayslipContext) -> list[Any]:
        """The template's stylesheet and its page furniture for this run (footer with run
        id, pack and snapshot: the same on every payslip of a run, so parsed once)."""
        key = (ctx.run_id, ctx.pack.name, ctx.pack.version, ctx.pack.sha256,
               ctx.snapshot_sha256, ctx.month, ctx.company)
        if key not in self._page_css:
            text = render_page_css(page_view(ctx, self.labels), self.template_dir)
            if len(self._page_css) >= 8:
                self._page_css.clear()
            self._page_css[key] = self.css + ([weasyprint.CSS(
                string=text, url_fetcher=self.fetcher, font_config=self.font_config)]
                if text is not None else [])
        return self._page_css[key]

    def pdf(self, result: EmployeeResult, ctx: PayslipContext) -> bytes:
        return self.render(result, ctx)[0]

    def render(self, result: EmployeeResult, ctx: PayslipContext) -> tuple[bytes, list[Problem]]:
        """The payslip's bytes and its warnings (characters printed in fallback form)."""
        html, problems = self.page(result, ctx)
        moment = pinned_time(ctx.month, ctx.created, self.environ)
        attachment = weasyprint.Attachment(
            string=data_bytes(payslip_data(result, ctx)), name=DATA_NAME,
            description=f"payslip data {ctx.month} {result.userid}",
            created=moment.replace(tzinfo=None), modified=moment.replace(tzinfo=None),
            relationship="Data", url_fetcher=self.fetcher)
        document = payslip_document(html, self.template_dir.as_uri() + "/", self.fetcher)
        try:
            with RENDER_LOCK:  # the caches of engine.payslip.speedups serve one at a time
                try:
                    raw = document.write_pdf(
                        stylesheets=self.stylesheets(ctx), font_config=self.font_config,
                        pdf_variant=PDF_VARIANT, attachments=[attachment], cache=self.cache,
                        full_fonts=False, uncompressed_pdf=True)
                finally:
                    release()  # the document is freed now, not by the garbage collector
        except Exception as exc:  # WeasyPrint raises many unrelated types
            raise RenderError(f"{result.userid}: PDF rendering failed: {exc}") from exc
        return compact(raw, result.userid), problems


def compact(pdf: bytes, who: str = "") -> bytes:
    """``pdf`` with its streams deflated and objects packed; same content, deterministic."""
    try:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            out = io.BytesIO()
            doc.save(out, compress_streams=True, deterministic_id=True,
                     stream_decode_level=pikepdf.StreamDecodeLevel.none,
                     object_stream_mode=pikepdf.ObjectStreamMode.generate)
            return out.getvalue()
    except pikepdf.PdfError as exc:
        raise RenderError(f"{who}: cannot compress the payslip PDF: {exc}") from exc


_RENDERERS: dict[tuple[Path, str], Renderer] = {}


def renderer_for(ctx: PayslipContext) -> Renderer:
    """This process's renderer for the context's template folder and language."""
    key = (ctx.template_dir.resolve(), ctx.lang)
    if key not in _RENDERERS:
        _RENDERERS[key] = Renderer(ctx.template_dir, ctx.lang)
    return _RENDERERS[key]


def render_payslip(result: EmployeeResult, ctx: PayslipContext,
                   renderer: Renderer | None = None) -> tuple[bytes, list[Problem]]:
    """One employee's payslip as PDF/A-3u bytes with its warnings; ``RenderError`` when it
    cannot be printed."""
    renderer = renderer or renderer_for(ctx)
    if not renderer.fits(ctx):
        raise RenderError("renderer was built for another template folder or language")
    return renderer.render(result, ctx)


def render_pdf(result: EmployeeResult, ctx: PayslipContext,
               renderer: Renderer | None = None) -> bytes:
    """One employee's payslip as PDF/A-3u bytes (warnings dropped: see ``render_payslip``)."""
    return render_payslip(result, ctx, renderer)[0]


def embedded_data(pdf: Path | bytes) -> dict[str, Any]:
    """The payslip JSON embedded in a payslip PDF (for ``payroll verify``)."""
    source = str(pdf) if isinstance(pdf, Path) else "<bytes>"
    try:
        with pikepdf.open(pdf if isinstance(pdf, Path) else io.BytesIO(pdf)) as doc:
            spec = doc.attachments.get(DATA_NAME)
            if spec is None:
                raise InputError(f"no embedded {DATA_NAME}", path=source)
            raw = spec.get_file().read_bytes()
    except pikepdf.PdfError as exc:
        raise InputError(f"not a readable PDF: {exc}", path=source) from exc
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"embedded {DATA_NAME} is not JSON: {exc}", path=source) from exc


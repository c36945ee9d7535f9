"""Weekly report with a chart, daily digests: /report for coordinators, a Monday push, a morning digest.

The chart is a PNG drawn with matplotlib (Agg, no display, no pyplot state): left, tickets per
category; right, 响应率 / 解决率 / 满意率 / 超期率 week by week. Chinese text is set in Noto Sans SC,
which the project ships as a dependency (`pylopdf-fonts-zh-cn`, SIL OFL 1.1) and loads by path —
never a system font. When the picture cannot be sent (Telegram error, or the emulator, which has
no sendPhoto and answers 404 → InvalidToken), the same report goes as text.

Digests and the weekly push go through the outbox, once per period whatever the number of bot
processes (routing.reports.queue_due_reports): a job queues those whose moment has passed — at
08:00 / Monday 09:00, and every few minutes, so that a bot that was down at that moment sends them
late (补发). The delivery worker sends a digest as text; the weekly reports have a lane of their
own (`deliver_reports`), where each chart is drawn from its notification's payload and sent with
`send_report` — drawing takes ~0.3 s a chart, which must not hold up offers and cards.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session
from telegram import Bot, InputFile, Message, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes

from bot import texts
from bot.handlers.common import act, deps, now, query, reply
from routing import members, outbox, reports

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

log = logging.getLogger(__name__)

CHART_SIZE = (12.0, 5.0)  # inches
CHART_DPI = 100  # → 1200 × 500 px
CHART_FILE_NAME = "服务效能周报.png"
MAX_CATEGORIES = 12
RATE_COLORS = {
    "response_rate": "#1f77b4",
    "resolution_rate": "#2ca02c",
    "satisfaction_rate": "#ff7f0e",
    "overdue_rate": "#d62728",
}
MONDAY = 1  # PTB's run_daily: 0 = Sunday … 6 = Saturday
REPORTS_EVERY = timedelta(minutes=5)  # the catch-up job (also once at start)
REPORTS_LATE_AFTER = 2 * REPORTS_EVERY  # queued later than this after its moment: 补发
REPORTS_BATCH = 20  # (coordinator, scope) pairs computed per transaction
SLOW_KINDS = ("weekly_report",)  # not claimed by the delivery worker: see deliver_reports
_REPORTS_LOCK = "report_delivery_lock"


# ── the font ─────────────────────────────────────────────────────────────────────────────────────
def cjk_font_path() -> Path:
    """The shipped Noto Sans SC (OpenType), from the `pylopdf-fonts-zh-cn` package."""
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.sans_path())


@cache
def cjk_font() -> FontProperties:
    """The CJK font, registered with matplotlib by its file (once per process)."""
    from matplotlib import font_manager

    path = cjk_font_path()
    if not path.is_file():
        raise FileNotFoundError(f"CJK font missing: {path}")
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path))


# ── the chart ────────────────────────────────────────────────────────────────────────────────────
def _percent(value: float | None) -> float:
    return math.nan if value is None else value * 100


def chart_figure(report: dict[str, Any]) -> Figure:
    """The report's figure (a `WeeklyReport.as_dict()`); every text in the shipped CJK font.
    matplotlib is imported here, not at start: the bot starts without paying for it."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    font = cjk_font()
    rc = {"font.family": [font.get_name()], "axes.unicode_minus": False}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=CHART_SIZE, dpi=CHART_DPI)
        FigureCanvasAgg(fig)
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.3]})

        categories = list(reversed(report["categories"][:MAX_CATEGORIES]))
        if categories:
            names = [c["name"] for c in categories]
            counts = [c["total"] for c in categories]
            bars = left.barh(names, counts, color="#c0392b")
            left.bar_label(bars, padding=3, fontproperties=font)
            left.set_xlim(0, max(counts) * 1.15 + 1)
        else:
            left.text(
                0.5, 0.5, "暂无工单", ha="center", va="center", transform=left.transAxes, fontproperties=font
            )
            left.set_yticks([])
        left.set_title("各类工单数量", fontproperties=font, fontsize=12)
        left.set_xlabel("工单（件）", fontproperties=font)

        weeks = report["weeks"]
        x = list(range(len(weeks)))
        for key, name in reports.RATE_NAMES.items():
            right.plot(
                x, [_percent(w.get(key)) for w in weeks], marker="o", label=name, color=RATE_COLORS[key]
            )
        right.set_xticks(x, [f"{w['label']}周" for w in weeks])
        right.set_ylim(-5, 120)
        right.set_yticks(range(0, 101, 20))  # the space above 100 % holds the legend
        right.yaxis.set_major_formatter(PercentFormatter(100))
        right.grid(alpha=0.3)
        right.set_title("服务效能四率（按周）", fontproperties=font, fontsize=12)
        right.set_xlabel("周（周一起）", fontproperties=font)
        right.legend(prop=font, loc="upper center", ncols=4)

        for axes in (left, right):
            for label in (*axes.get_xticklabels(), *axes.get_yticklabels()):
                label.set_fontproperties(font)
        total = report.get("totals", {}).get("total", 0)
        title = f"{report['scope_name']} 服务效能周报 · 近 {len(weeks)} 周 · 工单 {total} 件"
        fig.suptitle(title, fontproperties=font, fontsize=15)
        fig.tight_layout()
    return fig


def render_chart(report: dict[str, Any]) -> bytes:
    """The chart as PNG bytes."""
    buffer = io.BytesIO()
    chart_figure(report).savefig(buffer, format="png")
    return buffer.getvalue()


# ── sending ──────────────────────────────────────────────────────────────────────────────────────
async def _render(report: dict[str, Any]) -> bytes | None:
    try:
        return await asyncio.to_thread(render_chart, report)
    except Exception:  # a broken chart must not cost the report: it goes as text
        log.exception("rendering the report chart failed")
        return None


CHART_TRIES = 2  # (a chart whose sending timed out this often goes as text: it may arrive each time)


async def send_report(bot: Bot, chat_id: int, report: dict[str, Any], *, retried: int | None = None) -> Message:
    """Send the chart with a caption; when the chart cannot be drawn or Telegram refuses the photo, the text. From
    the delivery worker (`retried`: its attempts so far), a photo that timed out (it may have arrived), flood control
    or the network propagate, as errors of the text message do: the report is sent again later, not followed by the
    same report in text now — as text once the chart was tried CHART_TRIES times. Asked for (/report), the text at
    once."""
    png = None if retried is not None and retried >= CHART_TRIES else await _render(report)
    if png is not None:
        try:
            photo = InputFile(png, filename=CHART_FILE_NAME)
            return await bot.send_photo(
                chat_id, photo=photo, caption=texts.report_caption(report), parse_mode="HTML"
            )
        except BadRequest as error:  # (the photo refused: a NetworkError to PTB, but final)
            log.warning("sendPhoto to %s refused, sending the report as text: %s", chat_id, error)
        except (NetworkError, RetryAfter) as error:
            if retried is not None:
                raise
            log.warning("sendPhoto to %s failed, sending the report as text: %s", chat_id, error)
        except TelegramError as error:
            log.warning("sendPhoto to %s failed, sending the report as text: %s", chat_id, error)
    return await bot.send_message(
        chat_id, texts.report_text(report), parse_mode="HTML", disable_web_page_preview=True
    )


# ── /report ──────────────────────────────────────────────────────────────────────────────────────
def _reports_for(session: Session, telegram_id: int, now_: Any, tz: Any) -> list[dict[str, Any]]:
    """The report for each of the coordinator's scopes (as /stats), none for non-coordinators."""
    return [reports.weekly_report(session, scope, now_, tz, weeks=reports.REPORT_WEEKS).as_dict()
            for scope in members.widest_scopes(session, telegram_id)]


async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/report: the weekly report with a chart (text if the picture cannot be sent)."""
    found = await query(context, _reports_for, update.effective_user.id, now(), deps(context).tz)
    if not found:
        await reply(update, texts.NOT_A_COORDINATOR)
        return
    for report in found:
        await send_report(context.bot, update.effective_chat.id, report)


# ── jobs ─────────────────────────────────────────────────────────────────────────────────────────
async def send_due_reports(context: ContextTypes.DEFAULT_TYPE) -> int:
    """Job: queue today's digests and this week's reports that no process has queued yet, and
    deliver them; returns how many were queued."""
    queued = 0
    while True:
        batch = await act(context, reports.queue_due_reports, now(), deps(context).tz,
                          late_after=REPORTS_LATE_AFTER, limit=REPORTS_BATCH)
        queued += batch
        if batch < REPORTS_BATCH:
            break
    if queued and context.job_queue is not None:
        context.job_queue.run_once(deliver_reports, 0)
    return queued


async def deliver_reports(context: ContextTypes.DEFAULT_TYPE) -> int:
    """Job: deliver the queued weekly reports one at a time, apart from the other notifications
    (as the delivery worker does: retries, 403, quiet hours); returns how many were handled."""
    from bot.delivery import deliver_one  # delivery imports this module

    lock: asyncio.Lock = context.bot_data.setdefault(_REPORTS_LOCK, asyncio.Lock())
    if lock.locked():
        return 0
    handled = 0
    async with lock:
        while batch := await query(context, outbox.claim_notifications, deps(context).worker_id,
                                   now(), limit=5, kinds=SLOW_KINDS):
            for note in batch:
                await deliver_one(context, note)
            handled += len(batch)
            if not context.application.running:  # (stopping: the rest goes out after the next start)
                break
    return handled


def schedule_jobs(app: Application) -> None:
    """Digests (08:00) and the weekly report (Monday 09:00), in the configured time zone: run at
    those moments, and every few minutes from start, which sends what a stopped bot missed."""
    settings = app.bot_data["deps"].settings
    tz = settings.tz
    app.job_queue.run_repeating(send_due_reports, interval=REPORTS_EVERY, first=2, name="reports")
    app.job_queue.run_repeating(
        deliver_reports, interval=settings.DELIVERY_INTERVAL_SECONDS, first=3, name="report_delivery"
    )
    app.job_queue.run_daily(
        send_due_reports, time=reports.DIGEST_AT.replace(tzinfo=tz), name="daily_digest"
    )
    app.job_queue.run_daily(
        send_due_reports, time=reports.WEEKLY_AT.replace(tzinfo=tz), days=(MONDAY,), name="weekly_report"
    )

"""Weekly report with a chart, daily digests: /report for coordinators, a Monday push, a morning digest.

The chart is a PNG drawn with matplotlib (Agg, no display, no pyplot state): left, tickets per
category; right, 响应率 / 解决率 / 满意率 / 超期率 week by week. Chinese text is set in Noto Sans SC,
which the project ships as a dependency (`pylopdf-fonts-zh-cn`, SIL OFL 1.1) and loads by path —
never a system font. When the picture cannot be sent (Telegram error, or the emulator, which has
no sendPhoto and answers 404 → InvalidToken), the same report goes as text.

Digests and weekly pushes are sent directly from the jobs (not through the outbox): they are
recomputed each time, nothing is lost by not retrying, and a failure for one coordinator does not
stop the others.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
from datetime import time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session
from telegram import Bot, InputFile, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot import texts
from bot.handlers.common import deps, now, query, reply
from routing import members, reports

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

log = logging.getLogger(__name__)

REPORT_WEEKS = 8
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
WEEKLY_AT = time(9, 0)  # Mondays, settings.tz
DIGEST_AT = time(8, 0)  # every day, settings.tz
MONDAY = 1  # PTB's run_daily: 0 = Sunday … 6 = Saturday


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


async def send_report(bot: Bot, chat_id: int, report: dict[str, Any]) -> str:
    """Send the chart with a caption; on any Telegram error (or no chart) the text. Returns
    "photo" or "text". Errors of the text message itself propagate."""
    png = await _render(report)
    if png is not None:
        try:
            photo = InputFile(png, filename=CHART_FILE_NAME)
            await bot.send_photo(
                chat_id, photo=photo, caption=texts.report_caption(report), parse_mode="HTML"
            )
            return "photo"
        except TelegramError as error:
            log.warning("sendPhoto to %s failed, sending the report as text: %s", chat_id, error)
    await bot.send_message(
        chat_id, texts.report_text(report), parse_mode="HTML", disable_web_page_preview=True
    )
    return "text"


# ── /report ──────────────────────────────────────────────────────────────────────────────────────
def _report_for(session: Session, telegram_id: int, now_: Any, tz: Any) -> dict[str, Any] | None:
    """The report for the coordinator's first scope (as /stats), None for non-coordinators."""
    scopes = members.coordinator_scopes(session, telegram_id)
    if not scopes:
        return None
    return reports.weekly_report(session, scopes[0], now_, tz, weeks=REPORT_WEEKS).as_dict()


async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/report: the weekly report with a chart (text if the picture cannot be sent)."""
    report = await query(context, _report_for, update.effective_user.id, now(), deps(context).tz)
    if report is None:
        await reply(update, texts.NOT_A_COORDINATOR)
        return
    await send_report(context.bot, update.effective_chat.id, report)


# ── jobs ─────────────────────────────────────────────────────────────────────────────────────────
def _weekly_reports(session: Session, now_: Any, tz: Any) -> list[tuple[int, dict[str, Any]]]:
    """For every coordinator and scope: the last complete weeks (up to this Monday 00:00)."""
    end = reports.week_start(now_, tz)
    return [
        (tid, reports.weekly_report(session, scope, now_, tz, weeks=REPORT_WEEKS, end=end).as_dict())
        for tid, scope in reports.list_coordinators(session)
    ]


def _digests(session: Session, now_: Any) -> list[tuple[int, dict[str, Any]]]:
    return [
        (tid, reports.daily_digest(session, scope, now_).as_dict())
        for tid, scope in reports.list_coordinators(session)
    ]


async def weekly_push(context: ContextTypes.DEFAULT_TYPE) -> int:
    """Job (Mondays 09:00): the weekly report to every coordinator; returns how many got it."""
    sent = 0
    for chat_id, report in await query(context, _weekly_reports, now(), deps(context).tz):
        try:
            await send_report(context.bot, chat_id, report)
            sent += 1
        except TelegramError as error:
            log.warning("weekly report to %s failed: %s", chat_id, error)
    return sent


async def daily_digest(context: ContextTypes.DEFAULT_TYPE) -> int:
    """Job (daily 08:00): new, open, overdue, resolved and 满意率 to every coordinator."""
    sent = 0
    for chat_id, digest in await query(context, _digests, now()):
        try:
            await context.bot.send_message(chat_id, texts.daily_digest(digest), parse_mode="HTML")
            sent += 1
        except TelegramError as error:
            log.warning("daily digest to %s failed: %s", chat_id, error)
    return sent


def schedule_jobs(app: Application) -> None:
    """The Monday report and the morning digest, in the configured time zone."""
    tz = app.bot_data["deps"].settings.tz
    app.job_queue.run_daily(
        weekly_push, time=WEEKLY_AT.replace(tzinfo=tz), days=(MONDAY,), name="weekly_report"
    )
    app.job_queue.run_daily(daily_digest, time=DIGEST_AT.replace(tzinfo=tz), name="daily_digest")

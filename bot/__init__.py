"""The Telegram adapter on python-telegram-bot 22: handlers, keyboards, texts, delivery, jobs."""

import os

# Opt in to PTB's coming behaviour now (durations such as RetryAfter.retry_after are timedeltas).
os.environ.setdefault("PTB_TIMEDELTA", "1")

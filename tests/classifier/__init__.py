"""Tests of `classifier`.

The reasons given for everyday messages a learned model misreads (marked xfail, strict): the thresholds are the
model's own, the log odds those measured when the mark was last looked at (the twenty-seventh session's end)."""

from classifier.model import DANGER_THRESHOLD, SELF_HARM_THRESHOLD

KNOWN_SIGN_READING = "the self-harm model reads it as a sign (log odds {} > " + f"{SELF_HARM_THRESHOLD:g})"
KNOWN_DANGER_READING = "the danger model reads it as a danger (log odds {} > " + f"{DANGER_THRESHOLD:g})"

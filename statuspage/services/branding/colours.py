"""Accent colours: '#rrggbb' only, and readable (WCAG AA, 4.5:1) on the page's backgrounds.

The accent colours links and primary buttons (whose text is the page background), so one ratio
against the backgrounds covers both. The backgrounds are static/css/app.css's --bg and --surface
(cards) for each scheme.
"""

from __future__ import annotations

import re

from statuspage.core.errors import ValidationError

MINIMUM_CONTRAST = 4.5
BACKGROUNDS = {"light": ("#ffffff", "#f5f6f8"), "dark": ("#0d1117", "#161b22")}
_HEX = re.compile(r"#[0-9a-f]{6}")


def relative_luminance(colour: str) -> float:
    """WCAG 2's relative luminance of '#rrggbb'."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2's contrast ratio of two colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def clean_accent(value: str | None, *, scheme: str) -> str | None:
    """The accent as '#rrggbb' (None when blank), or ValidationError saying why it is refused."""
    text = (value or "").strip().lower()
    if not text:
        return None
    field = f"accent_{scheme}"
    if not _HEX.fullmatch(text):
        raise ValidationError(
            f"The {scheme} accent must be a colour written as #rrggbb, like #0b57d0.", field=field
        )
    ratio = min(contrast_ratio(text, background) for background in BACKGROUNDS[scheme])
    if ratio < MINIMUM_CONTRAST:
        raise ValidationError(
            f"The {scheme} accent {text} is too faint on the {scheme} page background: its "
            f"contrast is {ratio:.1f}:1 and readable text needs at least {MINIMUM_CONTRAST}:1. "
            f"Choose a {'darker' if scheme == 'light' else 'lighter'} colour.",
            field=field,
        )
    return text

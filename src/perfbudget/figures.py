"""The one rounding rule for the figures people read: every displayed ratio and score is
rounded half up to 0.01, and every band (a light's colour, a grade, a qualitative band, a
plausibility threshold) is read from the rounded figure shown, so that a figure and its band
never disagree (79.996 % is shown as 80.00 % and is green from 80 %)."""

from decimal import ROUND_HALF_UP, Context, Decimal

CENT = Decimal("0.01")
# wide enough for a quotient of two 18-digit figures, so nothing is rounded before ``shown``
EXACT = Context(prec=60)
_HUNDRED = Decimal(100)
RULE_ZH = "比率和得分四舍五入保留两位小数，档次按显示的数值判定"
RULE_EN = "ratios and scores are rounded half up to 0.01; bands are read from the figure shown"


def shown(value: Decimal) -> Decimal:
    """``value`` as displayed, and as compared with a band's thresholds."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=EXACT)


def percent(part: Decimal, whole: Decimal) -> Decimal:
    """part ÷ whole × 100, exact (``whole`` non-zero); round it with ``shown``."""
    return EXACT.divide(EXACT.multiply(part, _HUNDRED), whole)


def plain(value: Decimal) -> str:
    """A held number as written in a formula: 850000.00 → "850000", 0.50 → "0.5"."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"

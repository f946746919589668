"""Qualitative indicator lines (DOMAIN §3): the evaluator's share of the weight, inside the
band of the level reached (achieved, mostly, partly, not achieved)."""

from decimal import Decimal

from perfbudget.evaluations.score_lines import (
    CLAUSE,
    EXACT,
    HUNDRED,
    ZERO,
    LineAnswer,
    LineScore,
    Working,
    computed,
    noted,
    plain,
    rounded,
    scored,
)
from perfbudget.fiscal_years.parameters import Band, QualitativeBands
from perfbudget.monitoring.models import QualitativeStatus


class ShareOutOfBand(ValueError):
    """A qualitative share outside its level's band (§3); ``weight``: the line's, to name
    the band in points."""

    def __init__(
        self,
        share: Decimal,
        band: Band,
        target_line_id: int | None = None,
        *,
        status: QualitativeStatus,
        weight: Decimal,
    ) -> None:
        super().__init__(f"{share} outside {band.low}–{band.high}")
        self.share = share
        self.band = band
        self.target_line_id = target_line_id
        self.status = status
        self.weight = weight

    @property
    def points(self) -> tuple[Decimal, Decimal]:
        return band_points(self.band, self.weight)


def band_points(band: Band, weight: Decimal) -> tuple[Decimal, Decimal]:
    """A qualitative band in points of a line's weight (80 %–100 % of 10: 8.00–10.00)."""
    return (
        rounded(EXACT.divide(EXACT.multiply(band.low, weight), HUNDRED)),
        rounded(EXACT.divide(EXACT.multiply(band.high, weight), HUNDRED)),
    )


def band_text(status: QualitativeStatus, band: Band, weight: Decimal) -> tuple[str, str]:
    """ "部分达成: 60%–80%，即本项 30 分中的 18.00–24.00 分" and its English."""
    low, high = band_points(band, weight)
    return (
        f"{status.label_zh}：{plain(band.low)}%–{plain(band.high)}%，即本项 {plain(weight)} 分"
        f"中的 {low}–{high} 分",
        f"{status.label_en.lower()}: {plain(band.low)}%–{plain(band.high)}%, "
        f"{low}–{high} points of this line's {plain(weight)}",
    )


def qualitative_band(bands: QualitativeBands, status: QualitativeStatus) -> Band:
    band: Band = getattr(bands, status.value)
    return band


def check_share(
    bands: QualitativeBands,
    status: QualitativeStatus,
    share: Decimal,
    target_line_id: int | None = None,
    *,
    weight: Decimal,
) -> None:
    band = qualitative_band(bands, status)
    if not band.low <= share <= band.high:
        raise ShareOutOfBand(share, band, target_line_id, status=status, weight=weight)


def _parameters(band: Band, weight: Decimal) -> dict[str, str]:
    low, high = band_points(band, weight)
    return {
        "weight": plain(weight),
        "band_low": plain(band.low),
        "band_high": plain(band.high),
        "band_points": f"{low}–{high}",
    }


def _working(
    share: Decimal, weight: Decimal, band_zh: str, band_en: str
) -> tuple[Decimal, Working]:
    """The points of a share within its band: share × weight."""
    points, working = computed(
        ("评价比例 × 分值", "share × weight"),
        f"{plain(share)}% × {plain(weight)}",
        EXACT.divide(EXACT.multiply(share, weight), HUNDRED),
        weight,
    )
    return points, noted(
        working,
        f"{CLAUSE} 定性指标在达成等级的区间内评分：{band_zh}",
        f"{CLAUSE} qualitative lines score within their level's band: {band_en}",
    )


def _out_of_band(share: Decimal, band_zh: str, band_en: str) -> tuple[Decimal, Working]:
    """A draft saved before the year's bands changed: 0 for now, submitting will refuse it."""
    return ZERO, Working(
        f"评价比例 {plain(share)}% 不在区间内：暂计 0 分",
        f"share {plain(share)}% outside the band: 0 points for now",
        (f"{CLAUSE} 定性指标按达成等级在区间内评分（{band_zh}），提交时将被拒绝",),
        (
            f"{CLAUSE} qualitative lines score within their level's band ({band_en}); "
            "submitting will refuse it",
        ),
    )


def qualitative_score(line: LineAnswer, bands: QualitativeBands, preview: bool) -> LineScore:
    """A qualitative line's points; raises ShareOutOfBand unless ``preview`` (a draft)."""
    status, share = line.qualitative_status, line.qualitative_share
    assert status is not None and share is not None
    band = qualitative_band(bands, status)
    band_zh, band_en = band_text(status, band, line.weight)
    try:
        check_share(bands, status, share, line.target_line_id, weight=line.weight)
    except ShareOutOfBand:
        if not preview:
            raise
        points, working = _out_of_band(share, band_zh, band_en)
    else:
        points, working = _working(share, line.weight, band_zh, band_en)
    return scored(
        line,
        points,
        working,
        {
            "qualitative_status": status.value,
            "qualitative_share": str(share),
            "weight": str(line.weight),
        },
        _parameters(band, line.weight),
        below_target=status is not QualitativeStatus.achieved,
    )

"""Small server-side SVG charts (lines with interval bands, bars); no script needed."""

from __future__ import annotations

from markupsafe import Markup, escape

# Okabe & Ito (2008) colour-blind safe palette.
SERIES_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
_W, _H, _PAD = 640, 240, 44


def _scale(lo: float, hi: float, out_lo: float, out_hi: float):
    span = (hi - lo) or 1.0
    return lambda v: out_lo + (v - lo) / span * (out_hi - out_lo)


def _number(value: float) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:.1f}M"
    if abs(value) >= 1e3:
        return f"{value / 1e3:.0f}k"
    return f"{value:.3g}"


def line_chart(series: dict[str, list[tuple]], label: str, x_format=str) -> Markup:
    """Lines of (x, y[, low, high]) points per series name; low/high draw a shaded band.

    ``x_format`` turns an x value into its axis label (e.g. an ordinal day into a date).
    """
    points = [p for rows in series.values() for p in rows if p[1] is not None]
    if not points:
        return Markup("")
    xs = [p[0] for p in points]
    ys = [v for p in points for v in p[1:] if v is not None]
    sx = _scale(min(xs), max(xs), _PAD, _W - 40)
    legend_rows = 14 * len(series) + 8  # names above the plot, never over the lines
    sy = _scale(min(0.0, min(ys)), max(ys), _H - 24, legend_rows + 6)
    parts = [
        f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(label)}">',
        f'<line x1="{_PAD}" y1="{_H - 24}" x2="{_W - 10}" y2="{_H - 24}" stroke="#888"/>',
    ]
    for tick in (min(xs), max(xs)):
        parts.append(
            f'<text x="{sx(tick):.1f}" y="{_H - 6}" text-anchor="middle">'
            f"{escape(x_format(tick))}</text>"
        )
    parts.append(f'<text x="4" y="{sy(max(ys)) + 4:.1f}">{_number(max(ys))}</text>')
    parts.append(f'<text x="4" y="{sy(min(0.0, min(ys))) + 4:.1f}">'
                 f"{_number(min(0.0, min(ys)))}</text>")
    for i, (name, rows) in enumerate(series.items()):
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        rows = [r for r in rows if r[1] is not None]
        band = [r for r in rows if len(r) > 3 and r[2] is not None and r[3] is not None]
        if band:
            upper = " ".join(f"{sx(r[0]):.1f},{sy(r[3]):.1f}" for r in band)
            lower = " ".join(f"{sx(r[0]):.1f},{sy(r[2]):.1f}" for r in reversed(band))
            parts.append(
                f'<polygon points="{upper} {lower}" fill="{colour}" fill-opacity="0.18"/>'
            )
        line = " ".join(f"{sx(r[0]):.1f},{sy(r[1]):.1f}" for r in rows)
        parts.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts += [
            f'<circle cx="{sx(r[0]):.1f}" cy="{sy(r[1]):.1f}" r="3" fill="{colour}"/>' for r in rows
        ]
        parts.append(
            f'<text x="{_W - 12}" y="{14 + 14 * i}" text-anchor="end" fill="{colour}">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(values: list[tuple[str, float]], label: str) -> Markup:
    """Horizontal bars of (name, share 0..1), largest first; the full width is 100 %."""
    if not values:
        return Markup("")
    values = sorted(values, key=lambda v: -v[1])
    height = 20 * len(values) + 8
    parts = [
        f'<svg class="chart" viewBox="0 0 {_W} {height}" role="img" aria-label="{escape(label)}">'
    ]
    for i, (name, value) in enumerate(values):
        width = (_W - 260) * min(max(value, 0.0), 1.0)
        y = 4 + 20 * i
        parts.append(f'<text x="150" y="{y + 13}" text-anchor="end">{escape(name)}</text>')
        parts.append(
            f'<rect x="156" y="{y}" width="{width:.1f}" height="15" fill="{SERIES_COLOURS[0]}"/>'
        )
        parts.append(f'<text x="{160 + width:.1f}" y="{y + 13}">{value * 100:.1f}%</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

"""Charts of the admin health page: server-side SVG with pygal (no script, readable on dark and light pages).

A chart costs tens of milliseconds, so the health tick redraws them only every CHART_EVERY seconds and reuses
the SVG in between."""
from __future__ import annotations

import html
import re
import sys
from typing import Any

import pygal
from markupsafe import Markup
from pygal.style import Style

# pygal appends a legacy import hook (find_module only) that maps `pygal.maps.*` to map plugins we do not use;
# Python 3.11 warns (ImportWarning) on every import that reaches it. Take it out again.
sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__module__ != "pygal"]

CHART_EVERY = 15.0  # seconds between two redraws (about 65 ms each: under 0.5% of a core)
# Mid-tone colours and transparent backgrounds read on both Pico's light and dark themes.
_STYLE = Style(background="transparent", plot_background="transparent", foreground="#8891a0",
               foreground_strong="#8891a0", foreground_subtle="#8891a033", opacity=".25", opacity_hover=".5",
               colors=("#3c71f7", "#e8590c", "#2f9e44", "#ae3ec9"), font_family="system-ui, sans-serif",
               label_font_size=11, major_label_font_size=11, legend_font_size=12, title_font_size=13)


_STYLE_ELEMENT = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
_SCRIPT_ELEMENT = re.compile(r"<script[^>]*>.*?</script>", re.S)  # pygal's config, even with js=[]
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="[^"]*"')
_CHART_UUID = re.compile(r'id="chart-([0-9a-f-]{36})"')
_CSS: dict[str, str] = {}  # chart name -> pygal's stylesheet for it (the same for every render)


def line_chart(name: str, title: str, history: list[dict[str, Any]], series: dict[str, list[float]]) -> Markup:
    """An SVG line chart (scales to its container) of `series` (label -> values, one per history point,
    oldest first) over the history's minutes. Its accessible name is the title and the newest value of each
    series, e.g. "Open sockets; now: open 14, logged in 12" (escaped).

    The SVG's root id is `chart-<name>` and it holds no <style> and no style attribute: pygal writes them
    inline, which the site's Content-Security-Policy (style-src 'self') refuses, and a fragment pushed to every
    admin cannot carry a page's nonce. The stylesheet is served from this site instead (`stylesheet()`)."""
    chart = pygal.Line(style=_STYLE, title=title, width=640, height=260, explicit_size=False, js=[],
                       show_dots=False, fill=False, show_x_labels=True, x_labels_major_count=6,
                       show_minor_x_labels=False, legend_at_bottom=True, legend_at_bottom_columns=4,
                       disable_xml_declaration=True, margin=8, truncate_legend=-1, include_x_axis=True)
    newest = history[-1]["at"] if history else 0.0
    chart.x_labels = [f"-{(newest - p['at']) / 60:.0f} min" if newest - p["at"] >= 30 else "now" for p in history]
    for label, values in series.items():
        chart.add(label, values)
    svg = chart.render(is_unicode=True)
    found = _CHART_UUID.search(svg)
    if found:  # pygal names every id and CSS selector of the chart after a random uuid: make them stable
        svg = svg.replace(found.group(1), name)
    # The tooltip group's style="opacity: 0" (and any style attribute) would be refused too: as CSS instead.
    # The <style> text is XML character data (`.graph &gt; .background`): as a stylesheet it is unescaped, or
    # the browser drops those rules and the background takes the grey of the text, which hides the labels.
    _CSS[name] = "\n".join([html.unescape(css) for css in _STYLE_ELEMENT.findall(svg)]
                           + [f"#chart-{name} .tooltip {{ opacity: 0; }}"])
    # pygal's inline <script> (its tooltip configuration) is refused by the CSP, a console error per chart.
    svg = _STYLE_ATTRIBUTE.sub("", _SCRIPT_ELEMENT.sub("", _STYLE_ELEMENT.sub("", svg)))
    # role=img makes the drawing one image to assistive technology (WCAG 1.1.1); its name carries the newest
    # value of each series, so a screen reader user gets the figure the picture shows, not only its title.
    newest_values = ", ".join(f"{label} {round(values[-1], 1):g}" for label, values in series.items() if values)
    label = f"{title}; now: {newest_values}" if newest_values else title
    return Markup(svg.replace("<svg ", Markup('<svg role="img" aria-label="{}" ').format(label), 1))


POINTS = 60  # points per chart: 30 minutes at 30 s; more costs render time and bytes, not legibility


def health_charts(history: list[dict[str, Any]]) -> dict[str, Markup]:
    """{"connections", "activity", "traffic"} charts of the history points (oldest first, aggregated samples,
    thinned to POINTS: the counters are cumulative, so a rate between two kept points is still exact)."""
    step = max(1, -(-len(history) // POINTS))
    history = history[::-1][::step][::-1]
    rates: list[float] = []
    errors: list[float] = []
    for previous, point in zip(history, history[1:]):
        span = max(point["at"] - previous["at"], 1e-6)
        rates.append(max(0.0, point["delivered"] - previous["delivered"]) / span)
        errors.append(max(0.0, point["errors5xx"] - previous["errors5xx"]) * 60 / span)
    joins = [max(0.0, b["connects"] - a["connects"]) for a, b in zip(history, history[1:])]
    leaves = [max(0.0, j - (b["sockets"] - a["sockets"])) for j, a, b in zip(joins, history, history[1:])]
    return {
        "connections": line_chart("connections", "Open sockets", history, {
            "open": [p["sockets"] for p in history],
            "logged in": [p["sockets"] - p["anonymous"] for p in history]}),
        "activity": line_chart("activity", "Joined and left per tick", history[1:], {"joined": joins, "left": leaves}),
        "traffic": line_chart("traffic", "Messages per second, 5xx per minute", history[1:],
                              {"messages/s": rates, "5xx/min": errors}),
    }


def stylesheet() -> str:
    """The CSS of every health chart (pygal's, for the stable ids `chart-connections` and so on), text/css."""
    if len(_CSS) < 3:  # not drawn yet in this process: draw them once from two made-up points
        point = {"at": 0.0, "sockets": 0, "anonymous": 0, "connects": 0, "delivered": 0, "errors5xx": 0}
        health_charts([point, {**point, "at": 60.0}, {**point, "at": 120.0}])
    return "\n".join(_CSS[name] for name in sorted(_CSS))

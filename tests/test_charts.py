"""Charts are pure functions: plain values in, inline SVG out. No database."""

import re
import xml.etree.ElementTree as ET

import pytest

from assessments.charts import (
    DimensionBar,
    TrendPoint,
    _fmt,
    balance_quadrant,
    dimension_bars,
    quadrant_histogram,
    trend_lines,
)

SVG = "{http://www.w3.org/2000/svg}"
XSS = "<script>alert(1)</script>"

BARS = [
    DimensionBar("Day-to-day operations", "management", 50, previous=40, reference=55),
    DimensionBar("Vision", "leadership", 100, spread_low=60, spread_high=90),
    DimensionBar("Communication", "leadership", 25),
    DimensionBar("Monitoring progress", "management", 0, reference=30),
]
CELLS = [
    [0, 2, 0],
    [1, 7, 3],
    [0, 0, 4],
]
TREND = [
    TrendPoint("Spring 2024", 60, 55),
    TrendPoint("Autumn 2024", None, None),
    TrendPoint("Spring 2025", 70, None),
    TrendPoint("Autumn 2025", 72, 64),
]


def every_chart(label: str = "A label") -> dict[str, str]:
    """One of each chart, with `label` wherever a chart shows admin-editable text."""
    return {
        "bars": dimension_bars(
            [*BARS, DimensionBar(label, "leadership", 42, previous=40)],
            title=label,
            id_prefix="bars",
        ),
        "quadrant": balance_quadrant(
            leadership=70, management=45, previous=(50, 50), id_prefix="quad", title=label
        ),
        "histogram": quadrant_histogram(CELLS, id_prefix="hist", title=label, bins=3),
        "trend": trend_lines([*TREND, TrendPoint(label, 50, 50)], id_prefix="trend", title=label),
    }


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))


def test_every_chart_is_well_formed_svg():
    for name, svg in every_chart().items():
        root = parse(svg)
        assert root.tag == f"{SVG}svg", name


def test_every_chart_is_an_image_labelled_by_its_own_title_and_description():
    for name, svg in every_chart("Team Alpha").items():
        root = parse(svg)
        assert root.get("role") == "img"
        labelled_by = root.get("aria-labelledby").split()
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title.text == "Team Alpha", name
        assert labelled_by == [title.get("id"), desc.get("id")], name
        assert desc.text, name


def test_every_chart_scales_to_its_container():
    for name, svg in every_chart().items():
        root = parse(svg)
        assert root.get("width") == "100%", name
        assert root.get("height") is None, name


def test_no_chart_needs_inline_styles_or_scripts():
    """The Content-Security-Policy forbids inline styles and scripts."""
    for name, svg in every_chart(XSS).items():
        assert "style=" not in svg, name
        assert "<style" not in svg, name
        assert "<script" not in svg.lower(), name


def test_labels_are_escaped_never_raw():
    for name, svg in every_chart(XSS).items():
        assert XSS not in svg, name
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg, name
        # Parsed back, the text is exactly what the admin typed.
        assert parse(svg).find(f"{SVG}title").text == XSS, name


PHONE_WIDTH_PX = 340  # a chart's width on a 375-px phone, inside the page's padding
MIN_TEXT_PX = 11


def test_text_is_readable_when_scaled_down_to_a_phone():
    """Drawn 340 px wide, every chart's smallest text still renders at 11 px or more."""
    empty = {
        "empty bars": dimension_bars([], title="t", id_prefix="e"),
        "empty trend": trend_lines([], id_prefix="e", title="t"),
        "empty histogram": quadrant_histogram([[0] * 2] * 2, id_prefix="e", title="t", bins=2),
        "fine histogram": quadrant_histogram([[1] * 10] * 10, id_prefix="e", title="t", bins=10),
        "many cycles": trend_lines(
            [TrendPoint(f"Cycle number {i}", None, None) for i in range(8)],
            id_prefix="e",
            title="t",
        ),
    }
    for name, svg in {**every_chart(), **empty}.items():
        sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
        assert sizes, name
        width = float(parse(svg).get("viewBox").split()[2])
        assert min(sizes) * PHONE_WIDTH_PX / width >= MIN_TEXT_PX, name


def test_ids_carry_the_prefix_so_charts_can_share_a_page():
    page = str(balance_quadrant(leadership=1, management=2, id_prefix="one", title="t"))
    page += str(balance_quadrant(leadership=1, management=2, id_prefix="two", title="t"))
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert all(i.startswith(("one", "two")) for i in ids)


@pytest.mark.parametrize("prefix", ["", "1abc", 'x" onload="alert(1)', "a b"])
def test_an_id_prefix_that_is_not_an_id_is_refused(prefix):
    with pytest.raises(ValueError):
        trend_lines(TREND, id_prefix=prefix, title="t")


@pytest.mark.parametrize(
    ("value", "expected"), [(0, "0"), (49.4, "49"), (49.5, "50"), (62.5, "63"), (100.0, "100")]
)
def test_numbers_are_shown_as_whole_numbers_with_halves_rounded_up(value, expected):
    assert _fmt(value) == expected


# --- dimension bars ---------------------------------------------------------------------------


def bar_rects(svg: str) -> list[ET.Element]:
    return [r for r in parse(svg).iter(f"{SVG}rect") if r.get("data-score") is not None]


def test_bar_widths_are_proportional_to_scores():
    widths = {
        float(r.get("data-score")): float(r.get("width"))
        for r in bar_rects(dimension_bars(BARS, title="t", id_prefix="b"))
    }
    assert widths[0] == 0
    assert widths[50] == pytest.approx(widths[100] / 2)
    assert widths[25] == pytest.approx(widths[100] / 4)


def test_leadership_bars_come_first_and_keep_their_order():
    rects = bar_rects(dimension_bars(BARS, title="t", id_prefix="b"))
    assert [float(r.get("data-score")) for r in rects] == [100, 25, 50, 0]
    fills = [r.get("fill") for r in rects]
    assert fills[0] == fills[1] != fills[2] == fills[3]


def test_each_bar_prints_its_rounded_score():
    svg = dimension_bars([DimensionBar("Vision", "leadership", 62.5)], title="t", id_prefix="b")
    scores = [t.text for t in parse(svg).iter(f"{SVG}text") if t.get("class") == "lvm-score"]
    assert scores == ["63"]


def test_scores_outside_0_to_100_are_clamped():
    svg = dimension_bars(
        [DimensionBar("a", "leadership", 130), DimensionBar("b", "leadership", 100)],
        title="t",
        id_prefix="b",
    )
    too_high, full = bar_rects(svg)
    assert too_high.get("width") == full.get("width")


def test_the_legend_shows_only_the_optional_parts_present():
    plain = dimension_bars([DimensionBar("a", "leadership", 50)], title="t", id_prefix="b")
    assert "Previous cycle" not in plain
    assert "Organisation average" not in plain
    with_reference = dimension_bars(
        [DimensionBar("a", "leadership", 50, reference=60)], title="t", id_prefix="b"
    )
    assert "Organisation average" in with_reference
    assert "Previous cycle" not in with_reference


def test_long_dimension_labels_are_cut_with_the_full_label_as_a_tooltip():
    long = "Alignment with the company's values and goals, " * 3
    svg = dimension_bars([DimensionBar(long, "management", 50)], title="t", id_prefix="b")
    label = next(t for t in parse(svg).iter(f"{SVG}text") if t.find(f"{SVG}title") is not None)
    assert label.find(f"{SVG}title").text == long
    assert "".join(label.itertext()).endswith("…")


def test_an_unknown_axis_is_refused():
    with pytest.raises(ValueError):
        dimension_bars([DimensionBar("a", "vision", 50)], title="t", id_prefix="b")


def test_no_bars_draws_a_message_not_an_empty_chart():
    svg = dimension_bars([], title="t", id_prefix="b")
    assert "No scores yet" in svg
    parse(svg)


# --- balance quadrant -------------------------------------------------------------------------


def test_the_dot_sits_at_management_across_and_leadership_up():
    root = parse(balance_quadrant(leadership=100, management=0, id_prefix="q", title="t"))
    dot = next(c for c in root.iter(f"{SVG}circle") if c.get("class") == "lvm-you")
    low = parse(balance_quadrant(leadership=0, management=100, id_prefix="q", title="t"))
    other = next(c for c in low.iter(f"{SVG}circle") if c.get("class") == "lvm-you")
    assert float(dot.get("cx")) < float(other.get("cx"))  # less management: further left
    assert float(dot.get("cy")) < float(other.get("cy"))  # more leadership: higher up


def test_the_quadrant_names_all_four_profiles():
    svg = balance_quadrant(leadership=50, management=50, id_prefix="q", title="t")
    for label in ("Leader-leaning", "Balanced and strong", "Developing", "Manager-leaning"):
        assert label in svg


@pytest.mark.parametrize(
    ("leadership", "management", "profile"),
    [(80, 40, "Leader-leaning"), (40, 80, "Manager-leaning"), (70, 65, "Balanced and strong")],
)
def test_the_description_names_the_same_profile_as_scoring(leadership, management, profile):
    svg = balance_quadrant(leadership=leadership, management=management, id_prefix="q", title="t")
    assert f": {profile}." in parse(svg).find(f"{SVG}desc").text


def test_a_previous_position_adds_a_hollow_dot_and_an_arrow():
    without = balance_quadrant(leadership=70, management=40, id_prefix="q", title="t")
    assert "lvm-previous" not in without
    assert "lvm-arrow" not in without
    svg = balance_quadrant(
        leadership=70, management=40, previous=(40, 40), id_prefix="q", title="t"
    )
    assert "lvm-previous" in svg
    assert "lvm-arrow" in svg
    assert "Previous cycle" in svg


# --- histogram --------------------------------------------------------------------------------


def counts(svg: str) -> list[int]:
    return [int(t.text) for t in parse(svg).iter(f"{SVG}text") if t.get("class") == "lvm-count"]


def test_the_histogram_prints_a_count_for_each_non_empty_cell_only():
    svg = quadrant_histogram(CELLS, id_prefix="h", title="t", bins=3)
    assert sorted(counts(svg)) == sorted(c for row in CELLS for c in row if c)
    cells = [r for r in parse(svg).iter(f"{SVG}rect") if r.get("data-count")]
    assert len(cells) == 5


def test_the_counts_printed_add_up_to_the_team():
    svg = quadrant_histogram(CELLS, id_prefix="h", title="t", bins=3)
    assert sum(counts(svg)) == sum(map(sum, CELLS)) == 17
    assert parse(svg).find(f"{SVG}desc").text.startswith("17 people")


def test_row_zero_is_the_lowest_leadership_and_col_zero_the_lowest_management():
    cells = [[1, 0], [0, 0]]  # one person, low on both axes
    svg = quadrant_histogram(cells, id_prefix="h", title="t", bins=2)
    rect = next(r for r in parse(svg).iter(f"{SVG}rect") if r.get("data-count"))
    top_row = quadrant_histogram([[0, 0], [1, 0]], id_prefix="h", title="t", bins=2)
    higher = next(r for r in parse(top_row).iter(f"{SVG}rect") if r.get("data-count"))
    assert float(rect.get("x")) == float(higher.get("x"))
    assert float(rect.get("y")) > float(higher.get("y"))  # drawn lower on the page


def test_fuller_cells_are_darker():
    svg = quadrant_histogram([[1, 9], [0, 0]], id_prefix="h", title="t", bins=2)
    fills = {
        r.get("data-count"): r.get("fill")
        for r in parse(svg).iter(f"{SVG}rect")
        if r.get("data-count")
    }
    assert int(fills["9"][1:3], 16) < int(fills["1"][1:3], 16)


def test_the_histogram_has_both_axis_titles_and_the_profile_names():
    svg = quadrant_histogram(CELLS, id_prefix="h", title="t", bins=3)
    for label in ("Management score", "Leadership score", "Leader-leaning", "Manager-leaning"):
        assert label in svg


def test_an_empty_histogram_says_so():
    svg = quadrant_histogram([[0, 0], [0, 0]], id_prefix="h", title="t", bins=2)
    assert counts(svg) == []
    assert "No one to show yet" in svg


@pytest.mark.parametrize("cells", [[[1, 2]], [[1], [2]], [[1, -1], [0, 0]], [[1.5, 0], [0, 0]]])
def test_a_grid_of_the_wrong_shape_or_with_bad_counts_is_refused(cells):
    with pytest.raises(ValueError):
        quadrant_histogram(cells, id_prefix="h", title="t", bins=2)


# --- trend ------------------------------------------------------------------------------------


def lines(svg: str, axis: str) -> list[list[str]]:
    return [
        p.get("points").split()
        for p in parse(svg).iter(f"{SVG}polyline")
        if f"lvm-line-{axis}" in p.get("class")
    ]


def test_a_hidden_cycle_leaves_a_gap_in_the_lines():
    svg = trend_lines(TREND, id_prefix="t", title="t")
    # Leadership: Spring 2024 alone, then Spring 2025 to Autumn 2025.
    assert [len(run) for run in lines(svg, "leadership")] == [2]
    # Management: never two shown cycles in a row, so no line at all, only markers.
    assert lines(svg, "management") == []
    values = [t.text for t in parse(svg).iter(f"{SVG}text") if "lvm-value" in t.get("class", "")]
    assert sorted(values) == ["55", "60", "64", "70", "72"]
    assert "Autumn 2024: not shown" in parse(svg).find(f"{SVG}desc").text


def test_lines_join_consecutive_cycles_that_are_shown():
    points = [TrendPoint(f"C{i}", 50 + i, 40) for i in range(4)]
    svg = trend_lines(points, id_prefix="t", title="t")
    assert [len(run) for run in lines(svg, "leadership")] == [4]
    assert [len(run) for run in lines(svg, "management")] == [4]


def test_a_single_cycle_shows_markers_and_no_lines():
    svg = trend_lines([TrendPoint("Spring 2025", 64, 58)], id_prefix="t", title="t")
    assert "<polyline" not in svg
    values = [t.text for t in parse(svg).iter(f"{SVG}text") if "lvm-value" in t.get("class", "")]
    assert values == ["64", "58"]


def test_long_cycle_names_are_cut_with_the_full_name_as_a_tooltip():
    long = "Spring 2024 (pilot with the new questionnaire)"
    svg = trend_lines([TrendPoint(long, 1, 2), *TREND], id_prefix="t", title="t")
    label = next(t for t in parse(svg).iter(f"{SVG}text") if t.get("class") == "lvm-cycle")
    assert label.find(f"{SVG}title").text == long
    assert "".join(label.itertext()).endswith("…")


def test_the_trend_has_a_legend_for_both_lines():
    svg = trend_lines(TREND, id_prefix="t", title="t")
    assert ">Leadership<" in svg
    assert ">Management<" in svg


def test_no_cycles_draws_a_message():
    assert "No cycles yet" in trend_lines([], id_prefix="t", title="t")


# --- legibility: nothing printed over the data, readable contrast -----------------------------


def text_box(text: ET.Element) -> tuple[float, float, float, float]:
    """A generous bounding box (x1, y1, x2, y2) of an unrotated <text>, from its attributes."""
    size = float(text.get("font-size", 15))
    width = len("".join(text.itertext())) * size * 0.62
    x, y = float(text.get("x")), float(text.get("y"))
    start = {"start": x, "middle": x - width / 2, "end": x - width}[
        text.get("text-anchor", "start")
    ]
    return start, y - size * 0.8, start + width, y + size * 0.25


def rect_box(rect: ET.Element) -> tuple[float, float, float, float]:
    x, y = float(rect.get("x")), float(rect.get("y"))
    return x, y, x + float(rect.get("width")), y + float(rect.get("height"))


def circle_box(circle: ET.Element) -> tuple[float, float, float, float]:
    x, y = float(circle.get("cx")), float(circle.get("cy"))
    r = float(circle.get("r")) + float(circle.get("stroke-width", 0)) / 2
    return x - r, y - r, x + r, y + r


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def plot_frame(root: ET.Element) -> tuple[float, float, float, float]:
    """The balance plane's frame: the square drawn with no fill around the plot."""
    return next(
        rect_box(r)
        for r in root.iter(f"{SVG}rect")
        if r.get("fill") == "none" and r.get("width") == r.get("height") and r.get("x") != "0"
    )


def region_labels(root: ET.Element) -> list[ET.Element]:
    return [t for t in root.iter(f"{SVG}text") if t.get("class") == "lvm-region-label"]


FULL_GRID = [[(r * 5 + c) % 9 + 1 for c in range(5)] for r in range(5)]


def test_profile_names_are_printed_outside_the_plot_never_over_a_cell():
    root = parse(quadrant_histogram(FULL_GRID, id_prefix="h", title="t", bins=5))
    labels = region_labels(root)
    assert sorted("".join(t.itertext()) for t in labels) == sorted(
        ["Leader-leaning", "Manager-leaning", "Balanced and strong", "Developing"]
    )
    frame = plot_frame(root)
    cells = [rect_box(r) for r in root.iter(f"{SVG}rect") if r.get("data-count")]
    assert len(cells) == 25
    for label in labels:
        assert label.get("transform") is None  # not slanted across the plane any more
        box = text_box(label)
        assert not overlap(box, frame), "".join(label.itertext())
        assert not any(overlap(box, cell) for cell in cells)


@pytest.mark.parametrize(("leadership", "management"), [(100, 0), (0, 100), (100, 100), (0, 0)])
def test_profile_names_never_cover_the_personal_dot(leadership, management):
    root = parse(
        balance_quadrant(
            leadership=leadership,
            management=management,
            previous=(50, 50),
            id_prefix="q",
            title="t",
        )
    )
    dots = [circle_box(c) for c in root.iter(f"{SVG}circle") if c.get("class") == "lvm-you"]
    frame = plot_frame(root)
    for label in region_labels(root):
        assert not overlap(text_box(label), frame)
        assert not any(overlap(text_box(label), dot) for dot in dots)


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance, computed here independently of the chart code."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(one: str, other: str) -> float:
    dark, light = sorted((luminance(one), luminance(other)))
    return (light + 0.05) / (dark + 0.05)


def filled_boxes_with_text(root: ET.Element):
    """Every count printed on a shaded rectangle, with that rectangle's fill."""
    rects = [r for r in root.iter(f"{SVG}rect") if r.get("fill", "none").startswith("#")]
    for text in root.iter(f"{SVG}text"):
        if not "".join(text.itertext()).isdigit() or text.get("fill") is None:
            continue
        x, y = float(text.get("x")), float(text.get("y"))
        under = [r for r in rects if overlap(rect_box(r), (x - 0.1, y - 5, x + 0.1, y - 4))]
        if under:
            yield text, under[-1].get("fill")  # the last drawn is on top


@pytest.mark.parametrize("most", [2, 3, 5, 9, 40])
def test_every_count_reads_at_4_5_to_1_on_its_cell_and_in_the_legend(most):
    grid = [[min(most, r * 4 + c + 1) for c in range(4)] for r in range(4)]
    root = parse(quadrant_histogram(grid, id_prefix="h", title="t", bins=4))
    checked = list(filled_boxes_with_text(root))
    cells = [t for t, _ in checked if t.get("class") == "lvm-count"]
    assert len(cells) == 16
    assert len(checked) > 16  # the legend's swatches too
    for text, fill in checked:
        ratio = contrast_ratio(text.get("fill"), fill)
        assert ratio >= 4.5, f"{text.text} on {fill}: {ratio:.2f}"


def test_the_histogram_has_a_legend_for_its_shading():
    svg = quadrant_histogram([[1, 9], [0, 4]], id_prefix="h", title="t", bins=2)
    root = parse(svg)
    assert "People per cell" in svg
    swatches = [g for g in root.iter(f"{SVG}g") if g.get("class") == "lvm-shading-key"]
    assert ["".join(g.itertext()) for g in swatches] == ["1", "4", "9"]
    # Each swatch has the shade of the cells with that count.
    cell_fills = {r.get("data-count"): r.get("fill") for r in root.iter(f"{SVG}rect")}
    for swatch in swatches:
        assert swatch.find(f"{SVG}rect").get("fill") == cell_fills["".join(swatch.itertext())]
    assert "Darker cells hold more people" in root.find(f"{SVG}desc").text
    empty = quadrant_histogram([[0, 0], [0, 0]], id_prefix="h", title="t", bins=2)
    assert "People per cell" not in empty


def test_many_different_counts_show_a_few_legend_swatches_from_fewest_to_most():
    grid = [[r * 10 + c + 1 for c in range(10)] for r in range(10)]
    root = parse(quadrant_histogram(grid, id_prefix="h", title="t", bins=10))
    swatches = [g for g in root.iter(f"{SVG}g") if g.get("class") == "lvm-shading-key"]
    values = [int("".join(g.itertext())) for g in swatches]
    assert values[0] == 1 and values[-1] == 100 and len(values) <= 6
    assert values == sorted(values)
    assert max(rect_box(g.find(f"{SVG}rect"))[2] for g in swatches) <= 420


@pytest.mark.parametrize("previous", [0, 48, 49.6, 50, 50.4, 52, 55, 60, 100])
def test_previous_markers_touch_neither_the_bar_nor_the_score_or_change(previous):
    svg = dimension_bars(
        [DimensionBar("Vision", "leadership", 50, previous=previous)], title="t", id_prefix="b"
    )
    root = parse(svg)
    # The legend's marker is drawn around (0, 0) and moved into place; the bar's is not.
    (marker,) = [
        circle_box(c)
        for c in root.iter(f"{SVG}circle")
        if c.get("class") == "lvm-previous" and (c.get("cx"), c.get("cy")) != ("0", "0")
    ]
    (bar,) = [rect_box(r) for r in bar_rects(svg)]
    texts = [t for t in root.iter(f"{SVG}text") if t.get("class") in {"lvm-score", "lvm-change"}]
    assert len(texts) == 2
    assert not overlap(marker, bar)
    for text in texts:
        assert not overlap(marker, text_box(text)), "".join(text.itertext())
    # The marker still stands at the previous score on the bar's scale (50 is the bar's end).
    centre, (x0, _, x1, _) = (marker[0] + marker[2]) / 2, bar
    assert centre == pytest.approx(x0 + (x1 - x0) * previous / 50, abs=0.05)


@pytest.mark.parametrize(
    ("score", "previous", "shown", "said"),
    [(56, 50, "▲ +6", "up 6"), (46, 50, "▼ −4", "down 4"), (50.2, 50, "±0", "no change")],
)
def test_each_bar_shows_its_change_since_the_previous_cycle(score, previous, shown, said):
    svg = dimension_bars(
        [DimensionBar("Vision", "leadership", score, previous=previous)], title="t", id_prefix="b"
    )
    root = parse(svg)
    change = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "lvm-change"]
    assert change == [shown]
    assert f"Vision {_fmt(score)} (previous 50, {said})" in root.find(f"{SVG}desc").text


def test_the_change_is_rounded_as_the_result_table_rounds_it():
    """The table shows the rounded difference (half up), not the difference of roundings."""
    svg = dimension_bars(
        [DimensionBar("Vision", "leadership", 60.4, previous=57.9)], title="t", id_prefix="b"
    )
    change = [t.text for t in parse(svg).iter(f"{SVG}text") if t.get("class") == "lvm-change"]
    assert change == ["▲ +3"]  # 2.5 rounds up; 60 - 58 would say 2


def test_bars_without_a_previous_cycle_show_no_change():
    svg = dimension_bars(BARS[1:], title="t", id_prefix="b")
    assert "lvm-change" not in svg


def test_the_longest_change_after_a_full_bar_stays_inside_the_chart():
    root = parse(
        dimension_bars(
            [DimensionBar("Vision", "leadership", 100, previous=0)], title="t", id_prefix="b"
        )
    )
    width = float(root.get("viewBox").split()[2])
    for text in root.iter(f"{SVG}text"):
        if text.get("class") in {"lvm-score", "lvm-change"}:
            assert text_box(text)[2] <= width, "".join(text.itertext())


def marker_boxes(svg: str, axis: str) -> list[tuple[float, float, float, float]]:
    """The markers of one line, without the legend's (drawn around 0, 0 and moved)."""
    boxes = []
    for element in parse(svg).iter():
        if f"lvm-marker-{axis}" not in element.get("class", ""):
            continue
        box = circle_box(element) if element.tag == f"{SVG}circle" else rect_box(element)
        if box[0] < 0:
            continue
        boxes.append(box)
    return boxes


@pytest.mark.parametrize(("leadership", "management"), [(60, 60), (61, 59), (40, 43)])
def test_equal_or_close_trend_points_are_both_visible(leadership, management):
    points = [TrendPoint("Spring", 50, 70), TrendPoint("Autumn", leadership, management)]
    svg = trend_lines(points, id_prefix="t", title="t")
    lead, man = marker_boxes(svg, "leadership"), marker_boxes(svg, "management")
    assert len(lead) == len(man) == 2
    assert not overlap(lead[1], man[1])
    # Both values are labelled, and the labels stay apart too.
    values = [t for t in parse(svg).iter(f"{SVG}text") if "lvm-value" in t.get("class", "")]
    autumn = values[2:]
    assert sorted(t.text for t in autumn) == sorted([str(leadership), str(management)])
    assert not overlap(text_box(autumn[0]), text_box(autumn[1]))


def test_trend_points_far_apart_stay_on_their_cycle():
    svg = trend_lines([TrendPoint("Spring", 80, 20)], id_prefix="t", title="t")
    (lead,), (man,) = marker_boxes(svg, "leadership"), marker_boxes(svg, "management")
    assert (lead[0] + lead[2]) / 2 == pytest.approx((man[0] + man[2]) / 2)

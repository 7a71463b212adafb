"""Accessibility in the real browser: axe-core on every page, keyboard-only use of the filters,
the share control, page navigation and the briefing, a visible focus, and the map's non-drag
alternative.

axe-core is a committed test asset (tests/browser/assets/axe.min.js, see its README): it is
injected into the page under test, so nothing leaves the host.

There are no known exceptions: any serious or critical axe finding fails the test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboard import maps

from .harness import assert_no_exception, goto_app, screenshot, wait_for_app_idle

AXE_JS = Path(__file__).resolve().parent / "assets" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}

# Nothing is excluded: deck.gl draws into a <canvas>, which axe cannot see into anyway, and the
# map's DOM (its wrapper, toolbar and event root) is ours to get right.
AXE_RUN_JS = """
async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary})),
  }));
}
"""

# Every page and slide, with no known exceptions. What axe found in Streamlit's own styles (caption
# grey at 3.9:1, 18x20 px date-field segments, a 1.1:1 nav focus tint) is fixed by
# dashboard/ui/layout.py ACCESSIBILITY_CSS; this suite is what keeps it fixed.
AXE_PAGES = [
    pytest.param("/", "", id="overview"),
    pytest.param("/map", "", id="map"),
    pytest.param("/funding", "", id="funding"),
    pytest.param("/operations", "", id="operations"),
    pytest.param("/data", "", id="data"),
    pytest.param("/briefing", "", id="briefing-manager"),
    pytest.param("/briefing", "slide=1", id="briefing-slide-1"),
    pytest.param("/briefing", "slide=2", id="briefing-slide-2"),
]


def run_axe(page) -> list[dict]:
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(AXE_RUN_JS, AXE_TAGS)


def describe(violations: list[dict], where: str) -> str:
    lines = []
    for v in violations:
        lines.append(f"{where}: {v['id']} ({v['impact']}, {len(v['nodes'])} node(s)): {v['help']} {v['helpUrl']}")
        for node in v["nodes"][:3]:
            lines.append(f"    target: {' '.join(node['target'])}")
            lines.append(f"    html:   {node['html'][:200]}")
            lines.append(f"    why:    {' '.join((node['summary'] or '').split())[:300]}")
    return "\n".join(lines)


@pytest.mark.parametrize(("path", "query"), AXE_PAGES)
def test_axe_no_serious_or_critical_violations(page, base_url, path, query):
    goto_app(page, base_url, path, query)
    assert_no_exception(page)
    page.wait_for_timeout(3000)  # charts and the deck.gl map paint after the script run
    wait_for_app_idle(page)
    violations = run_axe(page)
    where = path + (f"?{query}" if query else "")
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    minor = [v for v in violations if v["impact"] not in BLOCKING_IMPACTS]
    if minor:  # reported, not failed on
        print(describe(minor, where))
    assert not blocking, "serious/critical axe violations:\n" + describe(blocking, where)


def assert_axe_clean(page, where: str) -> None:
    wait_for_app_idle(page, stable=1000)
    violations = run_axe(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, "serious/critical axe violations:\n" + describe(blocking, where)


def test_axe_on_opened_controls_and_panels(page, base_url):
    """What only appears on interaction: the share and save-view popovers, an operation's details
    panel (with its map and tables), the map's dark style and the month-by-month slider."""
    goto_app(page, base_url, "/")
    wait_for_app_idle(page, stable=1500)  # a late rerun re-renders the sidebar
    for name in ("Share this view", "Save view for briefing"):
        page.locator('[data-testid="stSidebar"] [data-testid="stPopoverButton"]').filter(has_text=name).click()
        expect(page.locator('[data-testid="stPopoverBody"]').first).to_be_visible()
        assert_axe_clean(page, f"/ with '{name}' open")
        page.keyboard.press("Escape")
        expect(page.locator('[data-testid="stPopoverBody"]')).to_have_count(0)

    goto_app(page, base_url, "/operations")
    table = page.locator('[data-testid="stDataFrame"]').first
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box
    expect(page.locator("h3").filter(has_text=re.compile(r"\(OP-\d+\)$"))).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1500)
    assert_axe_clean(page, "/operations with an operation's details open")

    goto_app(page, base_url, "/map")
    page.get_by_role("radio", name="Dark").click()
    expect(page.get_by_role("radio", name="Dark")).to_be_checked()
    wait_for_app_idle(page)
    switch = page.get_by_role("switch", name="Month by month", exact=True)
    switch.focus()
    page.keyboard.press("Space")
    expect(switch).to_be_checked()
    expect(page.get_by_role("slider").first).to_be_visible(timeout=30_000)  # a rerun away: slow on a busy machine
    page.wait_for_timeout(1500)
    assert_axe_clean(page, "/map, dark style, month by month")
    assert_no_exception(page)


# --- keyboard -------------------------------------------------------------------------------

FOCUS_INFO_JS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const box = e.closest('[data-testid]');
  return {tag: e.tagName, role: e.getAttribute('role'), label: e.getAttribute('aria-label') || '',
          text: (e.innerText || '').trim().slice(0, 60), href: e.getAttribute('href') || '',
          testid: box ? box.getAttribute('data-testid') : '',
          sidebar: !!e.closest('[data-testid="stSidebar"]')};
}"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUS_INFO_JS)


def tab_until(page, matches, limit: int = 60, name: str = "the target") -> dict:
    """Press Tab until the focused element satisfies ``matches(info)``; return its info."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        page.wait_for_timeout(50)  # let focus handlers (and any rerender) settle
        info = focused(page)
        if info and matches(info):
            return info
        seen.append(info and (info["tag"], info["label"] or info["text"][:25], info["testid"]))
    pytest.fail(f"{name} not reached with {limit} Tab presses; focus went through: {seen}", pytrace=False)


def _label(name: str):
    return lambda info: info["label"] == name


def _nav(path: str):
    return lambda info: info["testid"] == "stSidebarNavLink" and info["href"].endswith(path)


def _share(info: dict) -> bool:
    return info["tag"] == "BUTTON" and "Share this view" in info["text"]


def test_keyboard_reaches_every_sidebar_control_in_order(page, base_url):
    goto_app(page, base_url, "/")
    wait_for_app_idle(page, stable=1500)  # a late rerun re-renders the sidebar and drops focus
    page.locator("body").focus()
    stops = [
        ("nav link Overview", _nav("/")),
        ("nav link Map", _nav("/map")),
        ("nav link Briefing", _nav("/briefing")),
        ("Data version", _label("Data version")),
        ("Period start day", _label("day, Period start date")),
        ("Period end year", _label("year, Period end date")),
        ("Period calendar", _label("Choose date range")),
        ("Region", _label("Region")),
        ("Route", _label("Route")),
        ("Incident type", _label("Incident type")),
        ("Share this view", _share),
    ]
    for name, matches in stops:
        info = tab_until(page, matches, limit=25, name=name)
        assert info["sidebar"], f"{name} focused outside the sidebar: {info}"


def test_keyboard_operates_a_filter_the_share_control_and_navigation(page, base_url):
    goto_app(page, base_url, "/")
    page.locator("body").focus()
    tab_until(page, _label("Region"))
    page.keyboard.type("Med")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"region=Mediterranean"))
    page.keyboard.press("Escape")
    wait_for_app_idle(page)
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text("Mediterranean")

    page.locator("body").focus()
    tab_until(page, _share)
    page.keyboard.press("Enter")
    link = page.locator('[data-testid="stPopoverBody"] [data-testid="stCode"] code').first
    expect(link).to_be_visible()
    assert "region=Mediterranean" in link.inner_text() and "version=1" in link.inner_text()
    screenshot(page, "a11y_share_by_keyboard")
    page.keyboard.press("Escape")
    expect(link).to_be_hidden()

    page.locator("body").focus()
    tab_until(page, _nav("/map"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/map(\?|$)"))
    wait_for_app_idle(page)
    assert_no_exception(page)
    expect(page.locator("h1").first).to_have_text("Map")


def test_keyboard_operates_the_briefing(page, base_url):
    goto_app(page, base_url, "/briefing", "slide=1")
    expect(page.locator('[data-testid="stMain"]')).to_contain_text("Slide 1 of 4")
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r"slide=2"))
    expect(page.locator('[data-testid="stMain"]')).to_contain_text("Slide 2 of 4")

    goto_app(page, base_url, "/briefing")
    page.locator("body").focus()
    tab_until(page, lambda info: info["tag"] == "BUTTON" and "Prepare the briefing pack" in info["text"], limit=80)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=re.compile("Download the pack"))).to_be_visible(timeout=30_000)


# --- visible focus --------------------------------------------------------------------------

# Styles of the element, its three nearest ancestors and first descendants, each with the opaque
# colour behind it, so a change of a translucent colour can be judged on what is really shown.
STYLE_SNAPSHOT_JS = """(el) => {
  const props = ['outline-style', 'outline-width', 'outline-color', 'box-shadow',
                 'border-top-color', 'border-bottom-color', 'background-color'];
  const backdrop = (node) => {
    for (let n = node.parentElement; n; n = n.parentElement) {
      const c = getComputedStyle(n).backgroundColor;
      const m = c.match(/[\\d.]+/g);
      if (m && (m.length < 4 || parseFloat(m[3]) === 1)) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  const nodes = [];
  let n = el;
  for (let i = 0; n && i < 4; i++, n = n.parentElement) nodes.push(n);
  nodes.push(...[...el.children].slice(0, 4));
  return nodes.map(node => {
    const s = getComputedStyle(node);
    const out = {backdrop: backdrop(node)};
    for (const p of props) out[p] = s.getPropertyValue(p);
    return out;
  });
}"""


def _rgba(text: str) -> tuple[float, float, float, float]:
    nums = [float(x) for x in re.findall(r"[\d.]+", text)]
    return (*nums[:3], nums[3] if len(nums) > 3 else 1.0)  # type: ignore[return-value]


def _shown(color: str, backdrop: str) -> tuple[float, float, float]:
    r, g, b, a = _rgba(color)
    br, bg, bb, _ = _rgba(backdrop)
    return (r * a + br * (1 - a), g * a + bg * (1 - a), b * a + bb * (1 - a))


def _luminance(rgb: tuple[float, float, float]) -> float:
    def lin(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def focus_changes(before: list[dict], after: list[dict]) -> list[tuple[str, str, str, float]]:
    """Each style that changed on focus, with the contrast (WCAG 1.4.11) of the change."""
    changes = []
    for i, (old, new) in enumerate(zip(before, after, strict=False)):
        for prop in old:
            if prop == "backdrop" or old[prop] == new[prop]:
                continue
            if prop.endswith("color"):
                ratio = contrast(_shown(old[prop], old["backdrop"]), _shown(new[prop], new["backdrop"]))
            elif prop in {"outline-style", "box-shadow"} and new[prop] not in {"none", ""}:
                ratio = float("inf")  # an outline or ring appeared
            else:
                ratio = 1.0
            changes.append((f"node{i}.{prop}", old[prop], new[prop], ratio))
    return changes


FOCUS_TARGETS = [
    pytest.param(_label("Region"), 'input[aria-label="Region"]', id="region-filter"),
    pytest.param(_label("Data version"), 'input[aria-label="Data version"]', id="version-filter"),
    pytest.param(_share, '[data-testid="stSidebar"] [data-testid="stPopoverButton"] >> nth=0', id="share"),
    pytest.param(_nav("/map"), '[data-testid="stSidebarNavLink"][href$="/map"]', id="nav-link"),
]


@pytest.mark.parametrize(("matches", "selector"), FOCUS_TARGETS)
def test_keyboard_focus_is_visible(page, base_url, matches, selector):
    goto_app(page, base_url, "/")
    wait_for_app_idle(page, stable=1500)  # a late rerun re-renders the sidebar and drops focus
    element = page.locator(selector)
    before = element.evaluate(STYLE_SNAPSHOT_JS)
    page.locator("body").focus()
    tab_until(page, matches)
    assert element.evaluate("e => e === document.activeElement || e.contains(document.activeElement)")
    page.wait_for_timeout(300)  # transitions
    changes = focus_changes(before, element.evaluate(STYLE_SNAPSHOT_JS))
    visible = [c for c in changes if c[3] >= 3.0]
    assert visible, f"no visible focus indicator on {selector}; style changes on focus: {changes}"


# --- the map's non-drag alternative ---------------------------------------------------------


def test_map_has_a_table_and_keyboard_zoom(page, base_url):
    goto_app(page, base_url, "/map")
    deck = page.locator('[data-testid="stDeckGlJsonChart"]').first
    expect(deck.locator("canvas").first).to_be_visible()
    page.wait_for_timeout(3000)  # deck.gl paints after the script run
    # the same data as a table, below the map
    table = page.locator('[data-testid="stDataFrame"]').first
    expect(table).to_be_visible()
    assert table.bounding_box()["y"] > deck.bounding_box()["y"]
    # keyboard zoom: deck.gl's controller listens on its focusable event root ("+"/"-" keys)
    page.locator("body").focus()
    tab_until(page, lambda info: info["testid"] == "stDeckGlJsonChart" and info["tag"] == "DIV", limit=80)
    before = deck.screenshot()
    page.keyboard.press("=")
    page.wait_for_timeout(1500)
    assert deck.screenshot() != before, "'=' on the focused map did not zoom it"


def test_map_zoom_buttons_and_focus_work_by_keyboard(page, base_url):
    """The non-drag way round the map: Tab to "Zoom in", press Enter, and the map changes; likewise
    choosing a Focus area with the keyboard."""
    goto_app(page, base_url, "/map")
    deck = page.locator('[data-testid="stDeckGlJsonChart"]').first
    expect(deck.locator("canvas").first).to_be_visible()
    page.wait_for_timeout(3000)  # deck.gl paints after the script run
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text(f"Zoom level {maps.VIEW_EUROPE['zoom']:g}")
    before = deck.screenshot()
    page.locator("body").focus()
    tab_until(
        page,
        lambda info: info["tag"] == "BUTTON" and info["text"].endswith("Zoom in"),
        limit=80,
        name="the Zoom in button",
    )
    page.keyboard.press("Enter")
    expect(main).to_contain_text(f"Zoom level {maps.VIEW_EUROPE['zoom'] + 1:g}")
    wait_for_app_idle(page)
    page.wait_for_timeout(1500)
    zoomed_in = deck.screenshot()
    assert zoomed_in != before, "Zoom in did not change the map"
    screenshot(page, "a11y_map_zoomed_in")

    focus_box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Focus").locator("input")
    focus_box.focus()
    page.keyboard.type("English Channel")
    page.keyboard.press("Enter")
    expect(main).to_contain_text("Zoom level 7.5")
    wait_for_app_idle(page)
    page.wait_for_timeout(1500)
    assert deck.screenshot() != zoomed_in, "choosing a focus area did not move the map"
    screenshot(page, "a11y_map_focus_channel")
    assert_no_exception(page)

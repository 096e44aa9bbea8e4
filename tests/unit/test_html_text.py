"""html_to_text: what a reader sees, what is hidden, and linear time on hostile markup."""

from __future__ import annotations

import pytest

from extortion_milter.engine.html_text import html_to_text

# (html, visible, hidden)
CASES = [
    # words split by inline tags, comments and entities join up
    ("bit<span>co</span>in", "bitcoin", ""),
    ("bit<b><i>co</i></b>in", "bitcoin", ""),
    ("bit<!-- junk -->coin", "bitcoin", ""),
    ("bit<!---->coin", "bitcoin", ""),
    ("bit<!-->coin", "bitcoin", ""),  # HTML5 empty comment
    ("&#98;&#x69;tcoin &amp; more", "bitcoin & more", ""),
    ("bit&shy;coin", "bit\u00adcoin", ""),  # entity decoded; normalize drops the soft hyphen
    ("<font color=red>bit</font><a href='x'>coin</a>", "bitcoin", ""),
    # block elements break lines, cells are separated
    ("<p>Hello</p><p>World</p>", "Hello\nWorld", ""),
    ("one<br>two<br/>three", "one\ntwo\nthree", ""),
    ("<div>a</div><div>b</div>", "a\nb", ""),
    ("<ul><li>x</li><li>y</li></ul>", "x\ny", ""),
    ("<h1>Title</h1>text", "Title\ntext", ""),
    ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc", ""),
    ("<p>one<p>two", "one\ntwo", ""),  # an open <p> is closed by the next one
    # white space collapses as a browser does
    ("a \n\t  b", "a b", ""),
    # never shown at all
    ("<script>var bitcoin = 1;</script>after", "after", ""),
    ("<style>p { color: red }</style>after", "after", ""),
    ("<html><head><title>T</title><meta charset=utf-8></head><body>Body</body></html>", "Body", ""),
    ("<template>tpl</template>shown", "shown", ""),
    ("<!DOCTYPE html><?xml version='1.0'?>x", "x", ""),
    ("<!--[if mso]>outlook only<![endif]-->x", "x", ""),
    # hidden by inline style
    ('<div style="display:none">junk text</div>visible', "visible", "junk text"),
    ('<div style="DISPLAY: None !important">junk</div>v', "v", "junk"),
    ('<span style="visibility:hidden">junk</span>v', "v", "junk"),
    ('<span style="font-size:0">junk</span>v', "v", "junk"),
    ('<span style="font-size:0px">junk</span>v', "v", "junk"),
    ('<span style="font-size:0pt">junk</span>v', "v", "junk"),
    ('<span style="font-size:1px">junk</span>v', "v", "junk"),
    ('<span style="opacity:0">junk</span>v', "v", "junk"),
    ('<span style="opacity:0.0">junk</span>v', "v", "junk"),
    ('<div style="max-height:0;overflow:hidden">junk</div>v', "v", "junk"),
    ('<div style="height:0px; overflow: hidden">junk</div>v', "v", "junk"),
    ('<span style="text-indent:-9999px">junk</span>v', "v", "junk"),
    ("<span hidden>junk</span>v", "v", "junk"),
    ('<span style="color:transparent">junk</span>v', "v", "junk"),
    # white on white and colour equal to the background
    ('<span style="color:#fff">junk</span>v', "v", "junk"),
    ('<span style="color:#FFFFFF">junk</span>v', "v", "junk"),
    ('<span style="color:white">junk</span>v', "v", "junk"),
    ('<span style="color:rgb(255,255,255)">junk</span>v', "v", "junk"),
    ('<font color="#ffffff">junk</font>v', "v", "junk"),
    ('<font color="ffffff">junk</font>v', "v", "junk"),  # legacy colour without "#"
    ('<div style="background:#336699"><span style="color:#336699">junk</span></div>v', "v", "junk"),
    ('<td bgcolor="#000000"><font color="#000">junk</font></td>v', "v", "junk"),
    # ... but white on a dark background is visible
    ('<div style="background:#000"><span style="color:#fff">seen</span></div>', "seen", ""),
    ('<body bgcolor="black"><font color="white">seen</font></body>', "seen", ""),
    ('<div style="background:url(x.png)"><span style="color:#fff">seen</span></div>', "seen", ""),
    ('<span style="color:#333">seen</span>', "seen", ""),
    # descendants that reset what they may reset
    ('<div style="font-size:0">junk<span style="font-size:14px">seen</span></div>', "seen", "junk"),
    (
        '<div style="visibility:hidden"><span style="visibility:visible">seen</span></div>',
        "seen",
        "",
    ),
    ('<div style="display:none"><span style="display:block">junk</span></div>v', "v", "junk"),
    # hidden junk inside a word does not split it for the reader
    ('bit<span style="display:none">xyz</span>coin', "bitcoin", "xyz"),
    ('bit<span style="font-size:0">xyz</span>coin', "bitcoin", "xyz"),
    ('bit<div style="display:none">xyz</div>coin', "bitcoin", "xyz"),
    # hidden by a class or id in a <style> block
    ("<style>.h{display:none}</style><span class=h>junk</span>v", "v", "junk"),
    ("<style>.a, .h { font-size: 0 }</style><span class='x h'>junk</span>v", "v", "junk"),
    ("<style>#z{display:none}</style><p id=z>junk</p>v", "v", "junk"),
    ("<style>/* .c{} */ span.h{display:none}</style><span class=h>junk</span>v", "v", "junk"),
    # ... but not by a rule that only applies on small screens
    (
        "<style>@media (max-width:600px){ .m{display:none} }</style><span class=m>seen</span>",
        "seen",
        "",
    ),
    # and an inline style overrides the class
    (
        "<style>.h{display:none}</style><span class=h style='display:inline'>junk</span>v",
        "v",
        "junk",
    ),
    # a <p> hidden but never closed ends at the next block, as in a browser
    ('<p style="display:none">junk<div>seen</div>', "seen", "junk"),
    # not markup
    ("a < b and c > d", "a < b and c > d", ""),
    ("1 <2 3", "1 <2 3", ""),
    ("</ x>text", "text", ""),
]


@pytest.mark.parametrize(("html", "visible", "hidden"), CASES)
def test_html_to_text(html: str, visible: str, hidden: str) -> None:
    assert html_to_text(html) == (visible, hidden)


def test_attribute_entities_are_decoded() -> None:
    assert html_to_text('<span style="display&#58;none">junk</span>v') == ("v", "junk")


def test_quoted_gt_in_attribute_does_not_hide_text() -> None:
    visible, _ = html_to_text('<a title="a>b" href="x">link</a>')
    assert "link" in visible


def test_unterminated_constructs_swallow_the_rest_like_a_browser() -> None:
    assert html_to_text("seen<!-- never closed bitcoin") == ("seen", "")
    assert html_to_text("seen<script>never closed") == ("seen", "")
    assert html_to_text("seen<span class='x") == ("seen", "")


def test_case_insensitive_tags() -> None:
    assert html_to_text("<P>a</P><SCRIPT>x</SCRIPT><BR>b") == ("a\nb", "")


def test_deep_nesting_is_bounded() -> None:
    html = "<div>" * 5000 + "deep" + "</div>" * 5000
    assert html_to_text(html)[0] == "deep"


# Inputs on which Python 3.11's html.parser.HTMLParser is quadratic (minutes). Each must
# finish in well under a second here; a quadratic scanner would take many seconds.
HOSTILE = [
    "<!--" * 50_000,
    "<a" * 100_000,
    "</" * 100_000,
    "</b>" * 50_000,
    "<!" * 100_000,
    "<?" * 100_000,
    '<a b="' * 30_000,
    "<" * 200_000,
    "&#" * 100_000,
    "<style>" * 30_000,
    "<style>" + "{" * 200_000,
    "<style>" + "/*" * 100_000,
    "<script>" * 30_000,
    "<a " + "x=1 " * 50_000 + ">",
    "<td>" * 50_000,
    "<span style='color:red'>" * 10_000 + "x",
]


@pytest.mark.timeout(20)  # a hang guard; how the cost grows is bench/hostile_html.py's
@pytest.mark.parametrize("html", HOSTILE, ids=lambda h: repr(h[:12]))
def test_hostile_markup_never_hangs_or_raises(html: str) -> None:
    visible, hidden = html_to_text(html)
    assert len(visible) + len(hidden) <= len(html)  # markup never becomes more text

"""HTML to the text a reader sees, and the text hidden from them.

Rules must match what the victim reads, so words split across tags or comments
("bit<span>co</span>in", "bit<!-- x -->coin") are joined, and junk text hidden with CSS
(display:none, zero font size, white on white, ...) is kept apart: it feeds the hidden-text
heuristic and never a content rule.

The tokenizer is a small hand-written scanner rather than `html.parser.HTMLParser`:
on Python 3.11 HTMLParser is quadratic on malformed input (400 KB of "<!--" takes over
a minute), and a spammer controls that input. Every scan here moves forward from the last
position, so the work is linear in the size of the HTML.
"""

from __future__ import annotations

import functools
import html as htmllib
import re
from dataclasses import dataclass, replace

_RGB = tuple[int, int, int]

# Elements whose content is never shown: their text is dropped, not "hidden".
_RAW_DROPPED = frozenset({"script", "style", "title", "xmp", "noembed", "noframes"})
_DROPPED = frozenset({"template"})
_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
# Elements that start a new line; everything else is inline and joins its neighbours.
_BLOCK = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "br",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "legend",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    }
)
_CELL = frozenset({"td", "th"})
# A new one of these closes an open one of the same kind, as browsers do.
_SELF_CLOSING_SIBLINGS = frozenset({"p", "li", "td", "th", "tr", "option", "dt", "dd"})
_MAX_DEPTH = 256  # deeper elements are treated as inline, unstyled text
_STATE_CACHE_SIZE = 4096

_WHITE: _RGB = (255, 255, 255)
_NAMED_COLORS: dict[str, _RGB] = {
    "white": _WHITE,
    "black": (0, 0, 0),
    "red": (255, 0, 0),
    "green": (0, 128, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "silver": (192, 192, 192),
    "whitesmoke": (245, 245, 245),
    "snow": (255, 250, 250),
    "ivory": (255, 255, 240),
    "navy": (0, 0, 128),
}
# Channels this close count as the same colour: text a reader cannot make out.
_SAME_COLOR = 12

_MARKUP_START = re.compile(r"<[a-zA-Z/!?]")
_TAG_NAME = re.compile(r"[a-zA-Z][^\s/>]*")
_ATTR = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_SPACES = re.compile(r" {2,}")
_LINE_BREAKS = re.compile(r" ?\n[ \n]*")
_NUMBER = re.compile(r"-?\d*\.?\d+")
_SIMPLE_SELECTOR = re.compile(r"[a-z0-9]*([.#][\w-]+)")


@dataclass(frozen=True)
class _State:
    """What an element passes on to its content."""

    removed: bool = False  # display:none and the like: nothing inside can show
    dropped: bool = False  # script, style, template: not text at all
    tiny: bool = False  # font-size 0, reset by a descendant with a real size
    invisible: bool = False  # visibility:hidden, reset by visibility:visible
    color: tuple[int, int, int, float] | None = None  # text colour, alpha last
    bg: _RGB | None = _WHITE  # background; None when unknown (an image)

    @functools.cached_property  # asked for every text chunk, computed once per element
    def hidden(self) -> bool:
        if self.removed or self.tiny or self.invisible:
            return True
        if self.color is None:
            return False
        if self.color[3] <= 0.05:
            return True
        bg = self.bg
        return bg is not None and all(
            abs(a - b) <= _SAME_COLOR for a, b in zip(self.color[:3], bg, strict=True)
        )


def _parse_color(value: str, legacy: bool = False) -> tuple[int, int, int, float] | None:
    """A CSS colour as (r, g, b, alpha), or None when it is not one we know."""
    value = value.strip().lower()
    if value == "transparent":
        return (0, 0, 0, 0.0)
    if value in _NAMED_COLORS:
        return (*_NAMED_COLORS[value], 1.0)
    if legacy and not value.startswith("#") and len(value) == 6:
        value = "#" + value  # <font color="ffffff">
    if value.startswith("#"):
        digits = value[1:]
        if len(digits) in (3, 4):
            digits = "".join(c * 2 for c in digits)
        if len(digits) in (6, 8):
            try:
                r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
                alpha = int(digits[6:8], 16) / 255 if len(digits) == 8 else 1.0
            except ValueError:
                return None
            return (r, g, b, alpha)
        return None
    if value.startswith(("rgb(", "rgba(")):
        numbers = _NUMBER.findall(value)
        if len(numbers) < 3:
            return None
        channels = [min(255, max(0, round(float(n)))) for n in numbers[:3]]
        if "%" in value:
            channels = [min(255, round(c * 2.55)) for c in channels]
        alpha = float(numbers[3]) if len(numbers) > 3 else 1.0
        return (channels[0], channels[1], channels[2], alpha)
    return None


def _length(value: str) -> float | None:
    """The number of a CSS length, or None."""
    match = _NUMBER.match(value.strip())
    return float(match.group()) if match else None


def _declarations(style: str) -> list[tuple[str, str]]:
    out = []
    for decl in style.split(";"):
        prop, sep, value = decl.partition(":")
        if sep:
            value = value.replace("!important", "").strip().lower()
            out.append((prop.strip().lower(), value))
    return out


def _apply(state: _State, decls: list[tuple[str, str]]) -> _State:
    """The state of an element with these CSS declarations inside a parent with `state`."""
    removed, tiny, invisible = state.removed, state.tiny, state.invisible
    color, bg = state.color, state.bg
    zero_box = clipped = False
    for prop, value in decls:
        if prop == "display":
            removed = removed or value.startswith("none")
        elif prop == "visibility":
            invisible = value in ("hidden", "collapse")
        elif prop == "font-size":
            size = _length(value)
            # 1px text is as unreadable as 0px text.
            tiny = size is not None and (size == 0 or (size <= 1 and value.endswith(("px", "pt"))))
        elif prop == "opacity":
            size = _length(value)
            removed = removed or (size is not None and size <= 0.05)
        elif prop in ("max-height", "height", "max-width", "width"):
            size = _length(value)
            zero_box = zero_box or size == 0
        elif prop in ("overflow", "overflow-x", "overflow-y"):
            clipped = clipped or value.startswith("hidden")
        elif prop in ("text-indent", "left", "top", "margin-left"):
            size = _length(value)
            removed = removed or (size is not None and size <= -999)  # pushed off screen
        elif prop == "color":
            color = _parse_color(value) or color
        elif prop in ("background", "background-color"):
            if "url(" in value or "gradient" in value:
                bg = None  # an image behind the text: its colour is unknown
            else:
                parsed = _parse_color(value.split()[0]) if value else None
                if parsed is not None and parsed[3] > 0.05:
                    bg = parsed[:3]
    removed = removed or (zero_box and clipped)
    return replace(state, removed=removed, tiny=tiny, invisible=invisible, color=color, bg=bg)


def _stylesheet(lower: str) -> dict[str, list[tuple[str, str]]]:
    """Declarations of `.class` and `#id` rules in <style> blocks (not inside @media).

    Spammers hide junk with a class as often as with an inline style. Only single simple
    selectors are used; a rule that depends on context is not applied at all.
    """
    rules: dict[str, list[tuple[str, str]]] = {}
    pos = 0
    while (start := lower.find("<style", pos)) >= 0:
        open_end = lower.find(">", start)
        if open_end < 0:
            break
        end = lower.find("</style", open_end)
        css = lower[open_end + 1 : end if end >= 0 else len(lower)]
        _parse_css(css, rules)
        if end < 0:
            break
        pos = end + 7
    return rules


def _strip_css_comments(css: str) -> str:
    pieces = []
    pos = 0
    while (start := css.find("/*", pos)) >= 0:
        pieces.append(css[pos:start])
        end = css.find("*/", start + 2)
        if end < 0:
            return "".join(pieces)
        pos = end + 2
    pieces.append(css[pos:])
    return "".join(pieces)


def _parse_css(css: str, rules: dict[str, list[tuple[str, str]]]) -> None:
    css = _strip_css_comments(css)
    depth = 0
    selector = ""
    seg_start = 0
    for brace in re.finditer(r"[{}]", css):
        if brace.group() == "{":
            if depth == 0:
                selector = css[seg_start : brace.start()].strip()
                seg_start = brace.end()
            depth += 1
        else:
            depth = max(0, depth - 1)
            if depth == 0:
                if not selector.startswith("@"):
                    decls = _declarations(css[seg_start : brace.start()])
                    for sel in selector.split(","):
                        match = _SIMPLE_SELECTOR.fullmatch(sel.strip())
                        if match:
                            rules.setdefault(match.group(1), []).extend(decls)
                seg_start = brace.end()


class _Renderer:
    def __init__(self, sheet: dict[str, list[tuple[str, str]]]) -> None:
        self.sheet = sheet
        self.stack: list[tuple[str, _State]] = [("", _State())]
        self.open_count: dict[str, int] = {}
        self.visible: list[str] = []
        self.hidden: list[str] = []
        self.state_cache: dict[tuple[_State, str, str], _State] = {}

    @property
    def state(self) -> _State:
        return self.stack[-1][1]

    def text(self, raw: str) -> None:
        state = self.stack[-1][1]
        if state.dropped:
            return
        if "&" in raw:
            raw = htmllib.unescape(raw)
        chunk = _HTML_SPACE.sub(" ", raw)
        if state.hidden:
            self.hidden.append(chunk)
            self.hidden.append(" ")
        else:
            self.visible.append(chunk)

    def line_break(self, state: _State, mark: str = "\n") -> None:
        if not (state.removed or state.dropped):
            self.visible.append(mark)

    def start_tag(self, name: str, attr_text: str) -> None:
        top = self.stack[-1][0]
        if name in _SELF_CLOSING_SIBLINGS and top == name:
            self.pop_to(len(self.stack) - 1)
        elif top == "p" and name in _BLOCK:
            self.pop_to(len(self.stack) - 1)
        state = self.state
        if name in _VOID:
            if name in ("br", "hr"):
                self.line_break(state)
            return
        key = (state, name, attr_text)
        new_state = self.state_cache.get(key)
        if new_state is None:
            # Mail HTML repeats the same few tags and styles thousands of times.
            if len(self.state_cache) > _STATE_CACHE_SIZE:
                self.state_cache.clear()
            new_state = self.state_cache[key] = self.element_state(state, name, attr_text)
        if name in _BLOCK:
            self.line_break(new_state)
        elif name in _CELL:
            self.line_break(new_state, " ")
        if len(self.stack) < _MAX_DEPTH:
            self.stack.append((name, new_state))
            self.open_count[name] = self.open_count.get(name, 0) + 1

    def element_state(self, state: _State, name: str, attr_text: str) -> _State:
        decls: list[tuple[str, str]] = []
        if name in _DROPPED:
            return replace(state, dropped=True)
        if not attr_text or attr_text.isspace():
            return state
        for match in _ATTR.finditer(attr_text):
            key = match.group(1).lower()
            value = htmllib.unescape(match.group(2) or match.group(3) or match.group(4) or "")
            if key == "hidden":
                decls.append(("display", "none"))
            elif key == "style":
                decls.extend(_declarations(value))
            elif key == "class" and self.sheet:
                for cls in value.lower().split():
                    decls = self.sheet.get("." + cls, []) + decls
            elif key == "id" and self.sheet:
                decls = self.sheet.get("#" + value.lower().strip(), []) + decls
            elif key == "bgcolor":
                decls.insert(0, ("background-color", value))
            elif key == "color" and name == "font":
                legacy = _parse_color(value, legacy=True)
                if legacy is not None:
                    decls.insert(0, ("color", "#{:02x}{:02x}{:02x}".format(*legacy[:3])))
        return _apply(state, decls) if decls else state

    def end_tag(self, name: str) -> None:
        if self.open_count.get(name):
            # Pops everything above the match, so the search is paid for by the pushes.
            for index in range(len(self.stack) - 1, 0, -1):
                if self.stack[index][0] == name:
                    self.pop_to(index)
                    break
        elif name in _BLOCK or name == "p":
            self.line_break(self.state)

    def pop_to(self, index: int) -> None:
        while len(self.stack) > index:
            name, state = self.stack.pop()
            self.open_count[name] -= 1
            if name in _BLOCK:
                self.line_break(state)
            elif name in _CELL:
                self.line_break(state, " ")

    def feed(self, html: str, lower: str) -> None:
        pos, end = 0, len(html)
        search = _MARKUP_START.search
        while pos < end:
            # A "<" not followed by a letter, "/", "!" or "?" is plain text ("a < b").
            found = search(html, pos)
            lt = end if found is None else found.start()
            if lt > pos:
                self.text(html[pos:lt])
            if found is None:
                return
            pos = self.markup(html, lower, lt)

    def markup(self, html: str, lower: str, lt: int) -> int:
        """Handle the markup at `lt` ("<"); return where text resumes."""
        nxt = html[lt + 1 : lt + 2]
        if nxt == "!":
            if html.startswith("<!--", lt):
                for empty in ("<!-->", "<!--->"):
                    if html.startswith(empty, lt):
                        return lt + len(empty)
                close = html.find("-->", lt + 4)
                # An unterminated comment runs to the end, in browsers too.
                return len(html) if close < 0 else close + 3
            return self.skip_to_gt(html, lt)
        if nxt == "?":
            return self.skip_to_gt(html, lt)
        is_end = nxt == "/"
        name_match = _TAG_NAME.match(html, lt + 2 if is_end else lt + 1)
        if name_match is None:
            return self.skip_to_gt(html, lt)  # "</ >" is a bogus comment
        gt = html.find(">", name_match.end())
        if gt < 0:
            return len(html)  # a tag cut off by the end of input shows nothing
        name = name_match.group().lower()
        if is_end:
            self.end_tag(name)
            return gt + 1
        if name in _RAW_DROPPED:
            # Raw text up to the matching end tag, never shown (style was read up front).
            close = lower.find("</" + name, gt + 1)
            return len(html) if close < 0 else self.skip_to_gt(html, close)
        self.start_tag(name, html[name_match.end() : gt])
        return gt + 1

    def skip_to_gt(self, html: str, lt: int) -> int:
        gt = html.find(">", lt + 1)
        return len(html) if gt < 0 else gt + 1

    def result(self) -> tuple[str, str]:
        return _tidy("".join(self.visible)), _tidy("".join(self.hidden))


def _tidy(text: str) -> str:
    text = _SPACES.sub(" ", text)
    return _LINE_BREAKS.sub("\n", text).strip(" \n")


def html_to_text(html: str) -> tuple[str, str]:
    """(visible text, hidden text) of an HTML document or fragment. Never raises."""
    lower = html.lower()
    if len(lower) != len(html):
        # A few characters change length when lower-cased ("İ"); offsets must agree.
        lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in html)
    renderer = _Renderer(_stylesheet(lower))
    renderer.feed(html, lower)
    return renderer.result()

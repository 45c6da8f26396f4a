"""The checklist and the pocket cards as PDF, with fpdf2 and an embedded DejaVu Sans font.

The font ships inside the package (render/fonts/), so accented letters print the same on every
machine. Text from the knowledge base is drawn as plain text (fpdf2's markdown is never on).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, cast

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from trafficking_ref.core.text import printable
from trafficking_ref.render.sheet import (
    DO_MARK,
    DONT_MARK,
    Card,
    Sheet,
    SheetContact,
    SheetItem,
    SheetReferral,
)

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
PAPER = {"letter": "Letter", "a4": "A4"}


def _t(value: str) -> str:
    return " ".join(printable(value).split())


class _Doc(FPDF):  # type: ignore[misc]
    footer_text = ""

    def footer(self) -> None:
        if not self.footer_text:
            return
        self.set_y(-12)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(0)
        self.cell(0, 4, f"{self.footer_text} · page {self.page_no()} of {{nb}}", align="C")


def _new_doc(paper: str, title: str, date: str, footer: str = "") -> _Doc:
    pdf = _Doc(format=PAPER.get(paper, "A4"), unit="mm")
    for style, name in FONT_FILES.items():
        pdf.add_font(FONT, style, str(FONT_DIR / name))
    pdf.footer_text = footer
    pdf.set_title(_t(title))
    pdf.set_creator("trafficking-ref")
    # The sheet's own date, so the same data and date give the same file.
    pdf.set_creation_date(dt.datetime.fromisoformat(date).replace(tzinfo=dt.timezone.utc))
    pdf.set_text_color(0)
    pdf.set_draw_color(0)
    return pdf


def _text_height(pdf: FPDF, w: float, line: float, text: str) -> float:
    """How tall ``text`` would be in a multi_cell of width ``w`` (nothing is drawn)."""
    height = pdf.multi_cell(w, line, _t(text), align="L", dry_run=True, output="HEIGHT")
    return float(cast(float, height))


def _first_href(referral: SheetReferral | None) -> str | None:
    if referral is None:
        return None
    return next((c.href for c in referral.contacts if c.href), None)


def _bytes(pdf: FPDF) -> bytes:
    return bytes(pdf.output())


# --- checklist --------------------------------------------------------------------------------

MARGIN = 14.0
BOX = 3.6
INDENT = 6.5
MARK_W = 22.0


class _Checklist:
    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        pdf = _new_doc(sheet.paper, sheet.title, sheet.date, sheet.footer)
        pdf.set_margins(MARGIN, 14, MARGIN)
        pdf.set_auto_page_break(True, margin=18)
        pdf.add_page()
        self.pdf = pdf
        self.width = pdf.w - 2 * MARGIN

    # helpers
    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(FONT, "B" if bold else "", size)

    def para(self, text: str, size: float = 9.5, bold: bool = False, h: float | None = None,
             x: float | None = None, w: float | None = None, link: str | None = None,
             after: float = 0.0) -> None:
        self.font(size, bold)
        left = MARGIN if x is None else x
        self.pdf.set_x(left)
        self.pdf.multi_cell(w or (self.width - (left - MARGIN)), h or size * 0.5, _t(text),
                            align="L", link=link or None, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if after:
            self.pdf.ln(after)

    def height(self, text: str, w: float, size: float, bold: bool = False) -> float:
        self.font(size, bold)
        return _text_height(self.pdf, w, size * 0.5, text)

    def keep(self, needed: float) -> None:
        """Start a new page unless ``needed`` millimetres fit on this one."""
        if self.pdf.get_y() + needed > self.pdf.page_break_trigger:
            self.pdf.add_page()

    def heading(self, text: str, following: float = 12.0) -> None:
        self.keep(9 + following)
        self.pdf.ln(2.5)
        self.para(text, 12, True, h=6)
        y = self.pdf.get_y()
        self.pdf.set_line_width(0.5)
        self.pdf.line(MARGIN, y, MARGIN + self.width, y)
        self.pdf.ln(1.5)

    def boxed(self, text: str, size: float = 10.0, link: str | None = None) -> None:
        inner = self.width - 4
        h = self.height(text, inner, size, True) + 3
        self.keep(h + 2)
        y = self.pdf.get_y()
        self.pdf.set_line_width(0.6)
        self.pdf.rect(MARGIN, y, self.width, h)
        self.pdf.set_y(y + 1.5)
        self.para(text, size, True, x=MARGIN + 2, w=inner, link=link)
        self.pdf.set_y(y + h + 2)

    # parts
    def header(self) -> None:
        s = self.sheet
        if s.agency:
            self.para(s.agency.upper(), 10, True, after=0.5)
        self.para(s.title, 16, True, h=7.5)
        self.para(s.subtitle, 10, after=3)
        y = self.pdf.get_y() + 6
        self.font(8.5)
        widths = [("Date", 0.25), ("Time", 0.2), ("Place", 0.55)]
        x = MARGIN
        self.pdf.set_line_width(0.3)
        for label, share in widths:
            w = self.width * share - 3
            self.pdf.set_xy(x, y - 4)
            self.pdf.cell(w, 4, label)
            self.pdf.line(x, y + 3, x + w, y + 3)
            x += w + 3
        self.pdf.set_y(y + 5)
        self.para(s.no_names, 8.5, after=2)
        self.para(s.instructions, 9.5, after=2)
        self.boxed(s.emergency_line, link=_first_href(s.emergency))
        self.para(f"Strength: {s.legend}", 8.5, after=1)

    def item(self, item: SheetItem) -> None:
        pdf = self.pdf
        text_x = MARGIN + INDENT
        title_w = self.width - INDENT - MARK_W
        text_w = self.width - INDENT
        cautions = [f"Keep in mind: {c}" for c in item.cautions]
        needed = (self.height(item.title, title_w, 10, True)
                  + self.height(item.description, text_w, 9)
                  + sum(self.height(c, text_w, 8.5) for c in cautions) + 3.5)
        self.keep(needed)
        top = pdf.get_y() + 1.2
        pdf.set_line_width(0.35)
        pdf.rect(MARGIN + 0.3, top + 0.5, BOX, BOX)
        pdf.set_xy(text_x + title_w, top)
        self.font(8.5)
        pdf.cell(MARK_W, 5, f"{item.mark} {item.strength}", align="R")
        pdf.set_y(top)
        self.para(item.title, 10, True, x=text_x, w=title_w)
        self.para(item.description, 9, x=text_x, w=text_w)
        for c in cautions:
            self.para(c, 8.5, x=text_x, w=text_w)
        y = pdf.get_y() + 1.2
        pdf.set_line_width(0.15)
        pdf.set_draw_color(120)
        pdf.line(MARGIN, y, MARGIN + self.width, y)
        pdf.set_draw_color(0)
        pdf.set_y(y)

    def contact(self, c: SheetContact, x: float) -> None:
        note = f" ({c.note})" if c.note else ""
        self.para(f"{c.label}: {c.value}{note}", 9.5, x=x, link=c.href)

    def referral(self, r: SheetReferral) -> None:
        x = MARGIN + 4
        name = r.name + (f" ({r.region})" if r.region else "")
        lines = [(name, 10.0, True, MARGIN)]
        lines += [(f"{c.label}: {c.value}" + (f" ({c.note})" if c.note else ""), 9.5, False, x)
                  for c in r.contacts]
        lines.append((f"Hours: {r.hours}", 8.5, False, x))
        lines.append(("Use for: " + "; ".join(r.when), 8.5, False, x))
        needed = sum(self.height(t, self.width - (left - MARGIN), s, b)
                     for t, s, b, left in lines) + 2
        self.keep(needed)
        self.para(lines[0][0], 10, True)
        for c in r.contacts:
            self.contact(c, x)
        self.para(lines[-2][0], 8.5, x=x)
        self.para(lines[-1][0], 8.5, x=x, after=1.5)

    def build(self) -> bytes:
        s = self.sheet
        self.header()
        for group in s.groups:
            first = group.items[0] if group.items else None
            follow = (self.height(first.title, self.width - INDENT - MARK_W, 10, True) + 10
                      if first else 0)
            self.heading(group.label, follow)
            for item in group.items:
                self.item(item)
        if not s.groups:
            self.para("No indicators match this setting and audience.", 10)
        self.heading("Notes (no names)", 30)
        for _ in range(4):
            y = self.pdf.get_y() + 7
            self.pdf.set_line_width(0.25)
            self.pdf.line(MARGIN, y, MARGIN + self.width, y)
            self.pdf.set_y(y)
        self.heading(f"Whom to contact ({s.country})", 14)
        self.boxed(s.emergency_line, link=_first_href(s.emergency))
        if not s.referrals:
            self.para(f"No other contacts for {s.country} in the knowledge base.", 9.5)
        for r in s.referrals:
            self.referral(r)
        if s.guidance:
            self.heading("Approaching the person", 20)
            for g in s.guidance:
                lines = [(DO_MARK, d) for d in g.do] + [(DONT_MARK, d) for d in g.dont]
                w = self.width - 7
                needed = (self.height(g.title, self.width, 10, True)
                          + sum(self.height(t, w, 9) for _, t in lines) + 6)
                self.keep(needed)
                self.para(g.title, 10, True)
                if g.heading != g.title:
                    self.para(g.topic_label, 8.5)
                for mark, t in lines:
                    self.font(9, True)
                    self.pdf.set_x(MARGIN + 2)
                    self.pdf.cell(5, 4.5, mark)
                    self.para(t, 9, x=MARGIN + 7, w=w)
                self.pdf.ln(1.5)
        self.pdf.ln(2)
        self.keep(12)
        self.para(s.disclaimer, 8.5)
        return _bytes(self.pdf)


def checklist_pdf(sheet: Sheet) -> bytes:
    return _Checklist(sheet).build()


# --- pocket cards -----------------------------------------------------------------------------

CARD_W = 85.0
CARD_H = 55.0
PAD = 3.0
GAP = 8.0
MARK_LEN = 4.0
MARK_OFF = 1.0


class _CardDrawer:
    def __init__(self, card: Card, pdf: FPDF):
        self.card = card
        self.pdf = pdf

    def _block_height(self, blocks: list[tuple[str, float, bool]], scale: float) -> float:
        inner = CARD_W - 2 * PAD
        total = 0.0
        for text, size, bold in blocks:
            self.pdf.set_font(FONT, "B" if bold else "", size * scale)
            total += _text_height(self.pdf, inner, size * scale * 0.45, text) + 0.5 * scale
        return total

    def _fit(self, blocks: list[tuple[str, float, bool]]) -> float:
        """The largest scale (down to 0.7) at which the blocks fit on one side of the card."""
        scale = 1.0
        while scale > 0.7 and self._block_height(blocks, scale) > CARD_H - 2 * PAD:
            scale -= 0.05
        return scale

    def _draw(self, x: float, y: float, blocks: list[tuple[str, float, bool]],
              links: dict[int, str] | None = None, boxes: set[int] | None = None) -> None:
        pdf = self.pdf
        scale = self._fit(blocks)
        inner = CARD_W - 2 * PAD
        pdf.set_xy(x + PAD, y + PAD)
        bottom = y + CARD_H - PAD
        for n, (text, size, bold) in enumerate(blocks):
            size *= scale
            pdf.set_font(FONT, "B" if bold else "", size)
            h = _text_height(pdf, inner, size * 0.45, text)
            if pdf.get_y() + h > bottom + 0.01:
                break  # never draw outside the card: what does not fit at 70 % is left off
            left = x + PAD
            width = inner
            if boxes and n in boxes:
                box = size * 0.3
                pdf.set_line_width(0.2)
                pdf.rect(left, pdf.get_y() + 0.3, box, box)
                left += box + 1.2
                width -= box + 1.2
            pdf.set_x(left)
            pdf.multi_cell(width, size * 0.45, _t(text), align="L",
                           link=(links or {}).get(n) or None, new_x=XPos.LMARGIN,
                           new_y=YPos.NEXT)
            pdf.set_y(pdf.get_y() + 0.5 * scale)

    def front(self, x: float, y: float) -> None:
        c = self.card
        blocks: list[tuple[str, float, bool]] = []
        if c.agency:
            blocks.append((c.agency.upper(), 6.0, True))
        blocks.append((c.title, 8.5, True))
        blocks.append((f"{c.setting_label} · key signs", 6.0, False))
        first_item = len(blocks)
        blocks += [(f"{i.title}  {i.mark}", 7.0, False) for i in c.items]
        if not c.items:
            blocks.append(("No indicators match this setting.", 7.0, False))
        blocks.append((c.legend, 5.0, False))
        self._draw(x, y, blocks, boxes=set(range(first_item, first_item + len(c.items))))

    def back(self, x: float, y: float) -> None:
        c = self.card
        blocks: list[tuple[str, float, bool]] = [(c.emergency_line, 7.0, True)]
        links: dict[int, str] = {}
        first = _first_href(c.emergency)
        if first:
            links[0] = first
        if c.contacts:
            blocks.append(("Whom to call", 6.8, True))
            for r in c.contacts:
                numbers = " · ".join(
                    f"{k.label}: {k.value}" + (f" ({k.note})" if k.note else "")
                    for k in r.contacts)
                href = next((k.href for k in r.contacts if k.href), None)
                if href:
                    links[len(blocks)] = href
                blocks.append((f"{r.name}: {numbers}", 6.3, False))
        if c.do:
            blocks.append(("Do", 6.8, True))
            blocks += [(f"+ {d}", 6.3, False) for d in c.do]
        if c.dont:
            blocks.append(("Don't", 6.8, True))
            blocks += [(f"− {d}", 6.3, False) for d in c.dont]
        blocks.append((c.footer, 4.8, False))
        self._draw(x, y, blocks, links=links)

    def marks(self, x: float, y: float) -> None:
        pdf = self.pdf
        pdf.set_line_width(0.2)
        right = x + 2 * CARD_W
        bottom = y + CARD_H
        for yy in (y, bottom):
            pdf.line(x - MARK_OFF - MARK_LEN, yy, x - MARK_OFF, yy)
            pdf.line(right + MARK_OFF, yy, right + MARK_OFF + MARK_LEN, yy)
        for xx in (x, x + CARD_W, right):
            pdf.line(xx, y - MARK_OFF - MARK_LEN, xx, y - MARK_OFF)
            pdf.line(xx, bottom + MARK_OFF, xx, bottom + MARK_OFF + MARK_LEN)
        pdf.set_dash_pattern(dash=1.2, gap=1.0)
        pdf.line(x + CARD_W, y, x + CARD_W, bottom)
        pdf.set_dash_pattern()


def card_pdf(card: Card) -> bytes:
    pdf = _new_doc(card.paper, card.title, card.date)
    pdf.set_auto_page_break(False)
    pdf.set_margins(10, 10, 10)
    drawer = _CardDrawer(card, pdf)
    per_page = max(1, int((pdf.h - 20 - 8 + GAP) // (CARD_H + GAP)))
    x = (pdf.w - 2 * CARD_W) / 2
    for n in range(card.copies):
        if n % per_page == 0:
            pdf.add_page()
            pdf.set_font(FONT, "", 7)
            pdf.set_xy(x, 10)
            pdf.cell(0, 4, _t(card.fold))
        y = 10 + 8 + MARK_LEN + (n % per_page) * (CARD_H + GAP)
        drawer.marks(x, y)
        drawer.front(x, y)
        drawer.back(x + CARD_W, y)
    return _bytes(pdf)


def fonts_available() -> dict[str, Any]:
    """The embedded font files and whether they are present (for diagnostics and tests)."""
    return {name: (FONT_DIR / name).is_file() for name in FONT_FILES.values()}

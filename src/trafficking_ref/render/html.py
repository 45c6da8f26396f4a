"""The checklist and the pocket cards as one self-contained HTML file each.

Inline CSS only: no scripts, no network, no web fonts. Every piece of data goes through
:func:`html.escape`. The print styles fit both US Letter and A4 (the content is never wider than
A4's printable width nor taller than Letter's), never split an item across pages, and use black
and grey only.
"""

from __future__ import annotations

from html import escape

from trafficking_ref.core.text import printable
from trafficking_ref.render.sheet import Card, Sheet, SheetContact, SheetReferral, emergency_line


def esc(value: str) -> str:
    return escape(" ".join(printable(value).split()), quote=True)


def link(text: str, href: str | None) -> str:
    if not href:
        return esc(text)
    return f'<a href="{escape(href, quote=True)}">{esc(text)}</a>'


def contact_html(c: SheetContact) -> str:
    note = f' <span class="note">({esc(c.note)})</span>' if c.note else ""
    return f'<span class="kind">{esc(c.label)}:</span> {link(c.value, c.href)}{note}'


def _page_rule(paper: str, fixed: bool, margin: str) -> str:
    size = f"size: {'letter' if paper == 'letter' else 'A4'}; " if fixed else ""
    return f"@page {{ {size}margin: {margin}; }}"


def _doc(title: str, css: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">\n"
        f"<title>{esc(title)}</title>\n<style>\n{css}</style>\n</head>\n<body>\n{body}</body>\n"
        "</html>\n"
    )


_BASE_CSS = """\
html { color: #000; background: #fff; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif;
  font-size: 10.5pt; line-height: 1.35; margin: 1.5rem auto; max-width: 46rem;
  padding: 0 1rem; }
a { color: #000; }
h1 { font-size: 16pt; margin: 0 0 0.2rem; }
h2 { font-size: 12pt; margin: 1rem 0 0.35rem; padding-bottom: 0.1rem;
  border-bottom: 1.5pt solid #000; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 10.5pt; margin: 0.6rem 0 0.2rem; break-after: avoid; page-break-after: avoid; }
.agency { font-weight: bold; font-size: 11pt; text-transform: uppercase; letter-spacing: 0.05em; }
.subtitle { margin: 0.1rem 0 0.6rem; }
.fields { display: flex; gap: 1rem; margin: 0.6rem 0 0.2rem; }
.field { flex: 1; border-bottom: 1pt solid #000; padding-top: 1.1rem; font-size: 9pt; }
.field.wide { flex: 2.4; }
.nonames { font-style: italic; font-size: 9pt; margin: 0.2rem 0 0.6rem; }
.emergency { border: 2pt solid #000; padding: 0.35rem 0.6rem; font-weight: bold;
  margin: 0.5rem 0; break-inside: avoid; page-break-inside: avoid; }
.legend { font-size: 9pt; }
ul.items { list-style: none; margin: 0; padding: 0; }
li.item { display: flex; gap: 0.55rem; padding: 0.3rem 0; border-bottom: 0.5pt solid #777;
  break-inside: avoid; page-break-inside: avoid; }
.box { flex: none; width: 0.85rem; height: 0.85rem; border: 1.2pt solid #000;
  margin-top: 0.12rem; }
.item .title { font-weight: bold; }
.mark { white-space: nowrap; font-size: 9pt; margin-left: 0.4rem; }
.look { margin: 0.1rem 0 0; }
.caution { margin: 0.1rem 0 0; font-size: 9pt; font-style: italic; }
.notes div { border-bottom: 0.75pt solid #000; height: 1.5rem; }
.referral { margin: 0 0 0.45rem; break-inside: avoid; page-break-inside: avoid; }
.referral .name { font-weight: bold; }
.referral ul { margin: 0.1rem 0 0; padding-left: 1.2rem; }
.kind { font-weight: bold; }
.note, .when { font-size: 9pt; }
.guidance { break-inside: avoid; page-break-inside: avoid; }
.guidance ul { margin: 0.1rem 0 0.3rem; padding-left: 1.4rem; }
li.do { list-style: "✓  "; }
li.dont { list-style: "✗  "; }
.topic { font-weight: normal; font-size: 9pt; font-style: italic; }
.disclaimer { font-style: italic; font-size: 9pt; margin-top: 1rem; }
footer { margin-top: 1rem; padding-top: 0.3rem; border-top: 0.75pt solid #000; font-size: 8.5pt; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10pt; }
  a { text-decoration: none; }
}
"""


def _referral(r: SheetReferral) -> str:
    region = f" ({esc(r.region)})" if r.region else ""
    contacts = "".join(f"<li>{contact_html(c)}</li>" for c in r.contacts)
    return (
        f'<div class="referral"><span class="name">{esc(r.name)}{region}</span><ul>{contacts}'
        f'<li class="when">Hours: {esc(r.hours)}</li>'
        f'<li class="when">Use for: {esc("; ".join(r.when))}</li></ul></div>\n'
    )


def _emergency(emergency: SheetReferral | None, country: str, short: bool = False) -> str:
    """The emergency line, escaped, with the numbers as links."""
    return emergency_line(emergency, country, short,
                          number=lambda c: link(c.value, c.href), text=esc)


def checklist_html(sheet: Sheet) -> str:
    # The date and the version are checked text (ISO date, hex): safe inside a CSS string.
    css = (
        _BASE_CSS
        + _page_rule(sheet.paper, sheet.paper_fixed, "14mm 12mm 16mm")
        + "\n@page { @bottom-center { content: "
        + f'"{_css_string(sheet.footer)} · page " counter(page) " of " counter(pages); '
        + "font-size: 8pt; font-family: sans-serif; } }\n"
    )
    b: list[str] = ["<header>\n"]
    if sheet.agency:
        b.append(f'<div class="agency">{esc(sheet.agency)}</div>\n')
    b.append(f"<h1>{esc(sheet.title)}</h1>\n")
    b.append(f'<div class="subtitle">{esc(sheet.subtitle)}</div>\n')
    b.append('<div class="fields"><div class="field">Date</div><div class="field">Time</div>'
             '<div class="field wide">Place</div></div>\n')
    b.append(f'<p class="nonames">{esc(sheet.no_names)}</p>\n</header>\n')
    b.append(f"<p>{esc(sheet.instructions)}</p>\n")
    b.append(f'<p class="emergency">{_emergency(sheet.emergency, sheet.country)}</p>\n')
    b.append(f'<p class="legend">Strength: {esc(sheet.legend)}</p>\n')
    for group in sheet.groups:
        b.append(f'<section class="group">\n<h2>{esc(group.label)}</h2>\n<ul class="items">\n')
        for item in group.items:
            cautions = "".join(f'<p class="caution">Keep in mind: {esc(c)}</p>'
                               for c in item.cautions)
            b.append(
                f'<li class="item" id="{esc(item.id)}"><span class="box"></span><div>'
                f'<span class="title">{esc(item.title)}</span>'
                f'<span class="mark">{esc(item.mark)} {esc(item.strength)}</span>'
                f'<p class="look">{esc(item.description)}</p>{cautions}</div></li>\n'
            )
        b.append("</ul>\n</section>\n")
    if not sheet.groups:
        b.append("<p>No indicators match this setting and audience.</p>\n")
    b.append('<section class="notes guidance">\n<h2>Notes (no names)</h2>\n'
             + "<div></div>" * 4 + "\n</section>\n")
    b.append(f"<section>\n<h2>Whom to contact ({esc(sheet.country)})</h2>\n")
    b.append(f'<p class="emergency">{_emergency(sheet.emergency, sheet.country)}</p>\n')
    if not sheet.referrals:
        b.append(f"<p>No other contacts for {esc(sheet.country)} in the knowledge base.</p>\n")
    b += [_referral(r) for r in sheet.referrals]
    b.append("</section>\n")
    if sheet.guidance:
        b.append("<section>\n<h2>Approaching the person</h2>\n")
        for g in sheet.guidance:
            do = "".join(f'<li class="do">{esc(d)}</li>' for d in g.do)
            dont = "".join(f'<li class="dont">{esc(d)}</li>' for d in g.dont)
            topic = (f' <span class="topic">({esc(g.topic_label)})</span>'
                     if g.heading != g.title else "")
            b.append(f'<div class="guidance"><h3>{esc(g.title)}{topic}</h3>'
                     f"<ul>{do}{dont}</ul></div>\n")
        b.append("</section>\n")
    b.append(f'<p class="disclaimer">{esc(sheet.disclaimer)}</p>\n')
    b.append(f"<footer>{esc(sheet.footer)}</footer>\n")
    return _doc(sheet.title, css, "".join(b))


def _css_string(value: str) -> str:
    """Text for a CSS string: only plain characters are kept."""
    return "".join(ch for ch in value if ch.isalnum() or ch in " -·.:,")


# --- pocket cards -----------------------------------------------------------------------------

# A card is 85 x 55 mm (ID-1, a credit card is 85.6 x 54 mm). Each strip on the sheet holds the
# front and the back side by side; folded on the dashed line it makes one double-sided card.
# Four strips (4 x 55 mm + gaps) fit the printable area of both Letter and A4.
_CARD_CSS = """\
html { color: #000; background: #fff; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif;
  margin: 1rem; }
a { color: #000; text-decoration: none; }
.page { break-after: page; page-break-after: always; }
.page:last-child { break-after: auto; page-break-after: auto; }
.howto { font-size: 7pt; line-height: 3mm; height: 3mm; margin: 0 0 6mm 6mm; }
.strip { position: relative; width: 170mm; height: 55mm; margin: 0 0 8mm 6mm; display: flex;
  break-inside: avoid; page-break-inside: avoid; }
.strip:last-child { margin-bottom: 0; }
.side { box-sizing: border-box; width: 85mm; height: 55mm; padding: 2.6mm 3mm;
  overflow: hidden; font-size: 6.4pt; line-height: 1.22; }
.front { border-right: 0.3mm dashed #000; }
.side h1 { font-size: 8pt; margin: 0 0 0.6mm; line-height: 1.1; }
.side .agency { font-weight: bold; font-size: 6pt; text-transform: uppercase; }
.side .setting { font-size: 6pt; margin-bottom: 1mm; }
.side ul { list-style: none; margin: 0; padding: 0; }
.side li { display: flex; gap: 1.2mm; margin: 0 0 0.7mm; break-inside: avoid; }
.box { flex: none; width: 2mm; height: 2mm; border: 0.25mm solid #000; margin-top: 0.2mm; }
.mark { white-space: nowrap; }
.legend { font-size: 5pt; margin-top: 1mm; }
.urgent { border: 0.4mm solid #000; padding: 0.6mm 1mm; font-weight: bold; margin-bottom: 1mm; }
.side h2 { font-size: 6.6pt; margin: 0.9mm 0 0.3mm; }
.side p { margin: 0 0 0.4mm; }
.kind { font-weight: bold; }
.side .foot { font-size: 4.8pt; margin-top: 0.6mm; }
.cm { position: absolute; background: #000; }
.h { height: 0.2mm; width: 4mm; }
.v { width: 0.2mm; height: 4mm; }
.l { left: -5mm; } .r { right: -5mm; } .t { top: -5mm; } .b { bottom: -5mm; }
.ht { top: 0; } .hb { bottom: 0; } .vl { left: 0; } .vr { right: 0; }
.vm { left: 85mm; }
@media print { body { margin: 0; } }
"""

CARDS_PER_PAGE = 4
_MARKS = (
    '<span class="cm h l ht"></span><span class="cm h r ht"></span>'
    '<span class="cm h l hb"></span><span class="cm h r hb"></span>'
    '<span class="cm v t vl"></span><span class="cm v t vr"></span>'
    '<span class="cm v b vl"></span><span class="cm v b vr"></span>'
    '<span class="cm v t vm"></span><span class="cm v b vm"></span>'
)


def _card_front(card: Card) -> str:
    parts = ['<div class="side front">']
    if card.agency:
        parts.append(f'<div class="agency">{esc(card.agency)}</div>')
    parts.append(f"<h1>{esc(card.title)}</h1>")
    parts.append(f'<div class="setting">{esc(card.setting_label)} · key signs</div><ul>')
    for item in card.items:
        parts.append(f'<li><span class="box"></span><span>{esc(item.title)} '
                     f'<span class="mark">{esc(item.mark)}</span></span></li>')
    parts.append("</ul>")
    if not card.items:
        parts.append("<p>No indicators match this setting.</p>")
    parts.append(f'<div class="legend">{esc(card.legend)}</div>')
    parts.append("</div>")
    return "".join(parts)


def _card_back(card: Card) -> str:
    parts = ['<div class="side back">']
    urgent = _emergency(card.emergency, card.country, short=True)
    parts.append(f'<div class="urgent">{urgent}</div>')
    if card.contacts:
        parts.append("<h2>Whom to call</h2>")
        for r in card.contacts:
            contacts = " · ".join(contact_html(c) for c in r.contacts)
            parts.append(f"<p>{esc(r.name)}: {contacts}</p>")
    if card.do:
        parts.append("<h2>Do</h2>" + "".join(f"<p>+ {esc(d)}</p>" for d in card.do))
    if card.dont:
        parts.append("<h2>Don't</h2>" + "".join(f"<p>− {esc(d)}</p>" for d in card.dont))
    parts.append(f'<div class="foot">{esc(card.footer)}</div></div>')
    return "".join(parts)


def card_html(card: Card) -> str:
    css = _CARD_CSS + _page_rule(card.paper, card.paper_fixed, "10mm") + "\n"
    strip = f'<div class="strip">{_MARKS}{_card_front(card)}{_card_back(card)}</div>\n'
    pages = []
    for start in range(0, card.copies, CARDS_PER_PAGE):
        count = min(CARDS_PER_PAGE, card.copies - start)
        pages.append(f'<div class="page">\n<p class="howto">{esc(card.fold)}</p>\n'
                     f"{strip * count}</div>\n")
    return _doc(card.title, css, "".join(pages))

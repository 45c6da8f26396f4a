"""Full-text search over the knowledge base, in the officer's own words.

SQLite FTS5 (standard library) with the porter stemmer, accents folded, bm25 weighted by field
(title above aliases above description), and a re-ranking that prefers entries matching more of
the query's distinct ideas. Synonym groups from the knowledge base are expanded at query time.
User text never reaches FTS5 syntax: it is split into word tokens and each token is quoted.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from trafficking_ref.core.text import fold

if TYPE_CHECKING:  # the search itself runs on the cache without the entry classes
    from trafficking_ref.core.kb import KnowledgeBase

MAX_TOKENS = 24
MAX_TYPO_LENGTH = 40  # longer "words" are not misspellings of anything in the knowledge base
HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"
KINDS = ("indicator", "risk-factor", "guidance", "referral")

STOP_WORDS = frozenset(
    """a an and are as at be been but by did do does doesn't don't for from had has have he her
    him his i i'm if in into is it its just me my of on or our she so than that the their them
    then there they this to too very was we were what when where which who will with won't would
    you your yours about also can could get got really seems seem
    don doesn didn won isn wasn aren weren couldn shouldn wouldn ll re ve""".split()
)
_TOKEN = re.compile(r"\w+", re.UNICODE)
# In ASCII text, \w is [A-Za-z0-9_]: everything else separates words.
_ASCII_SEPARATORS = {
    code: " " for code in range(128) if not (chr(code).isalnum() or chr(code) == "_")
}
_WEIGHTS = (4.0, 10.0, 6.0, 1.0)  # id, title, aliases, body


class _Record:
    """A small value class; plain ``__slots__`` classes because creating dataclasses costs
    about half a millisecond each at every start of the program."""

    __slots__: tuple[str, ...] = ()
    _fields: tuple[str, ...] = ()  # in the constructor's order
    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and all(
            getattr(self, name) == getattr(other, name) for name in self._fields
        )

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({inner})"


class Filters(_Record):
    """Only entries with these values (``None``: any)."""

    _fields = ("kind", "setting", "type", "audience", "strength")
    __slots__ = tuple(sorted(_fields))

    def __init__(self, kind: str | None = None, setting: str | None = None,
                 type: str | None = None, audience: str | None = None,
                 strength: str | None = None) -> None:
        self.kind = kind
        self.setting = setting
        self.type = type
        self.audience = audience
        self.strength = strength

    def active(self) -> dict[str, str]:
        """The filters in force, in the order of the options."""
        return {name: value for name in self._fields if (value := getattr(self, name))}


class Hit(_Record):
    """One result: ``entry`` is ``entry_to_dict(entry, with_origin=True)``; ``snippet`` marks
    the matched words with :data:`HIGHLIGHT_START` and :data:`HIGHLIGHT_END`."""

    _fields = ("id", "kind", "title", "score", "snippet", "entry")
    __slots__ = tuple(sorted(_fields))

    def __init__(self, id: str, kind: str, title: str, score: float, snippet: str,
                 entry: dict[str, Any]) -> None:
        self.id = id
        self.kind = kind
        self.title = title
        self.score = score
        self.snippet = snippet
        self.entry = entry


class Result(_Record):
    """The hits, best first, and what was searched for."""

    _fields = ("hits", "query", "corrected", "suggestions")
    __slots__ = tuple(sorted(_fields))

    def __init__(self, hits: list[Hit], query: str, corrected: str | None = None,
                 suggestions: list[str] | None = None) -> None:
        self.hits = hits
        self.query = query
        self.corrected = corrected  # the query actually run, when typos were corrected
        self.suggestions = [] if suggestions is None else suggestions


def _fold(text: str) -> str:
    # ASCII needs no accent stripping, and its casefold() is lower(): skip the per-character work.
    return text.lower() if text.isascii() else fold(text)


def _words(text: str) -> list[str]:
    return _TOKEN.findall(_fold(text))


INDEXED = ("indicators", "risk_factors", "guidance", "referrals")  # collections searched


def build_index(
    conn: sqlite3.Connection, kb: KnowledgeBase,
    convert: Callable[[Any], Any] | None = None,
) -> None:
    """Create the search tables in ``conn`` from the knowledge base.

    ``docs`` keeps each searchable entry as JSON (``convert``: as :func:`entry_to_dict`) with
    its origin in columns, so a cached knowledge base can be rebuilt from it.
    """
    if convert is None:
        from trafficking_ref.core.kb import entry_to_dict

        convert = entry_to_dict
    conn.executescript(
        """
        CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT, kind TEXT, title TEXT,
            strength TEXT, settings TEXT, types TEXT, audience TEXT, body TEXT,
            collection TEXT, layer TEXT, file TEXT, line INTEGER, depth INTEGER);
        CREATE VIRTUAL TABLE fts USING fts5(ident, title, aliases, body,
            tokenize = 'porter unicode61 remove_diacritics 2');
        CREATE TABLE words (word TEXT PRIMARY KEY) WITHOUT ROWID;
        CREATE TABLE synonyms (term TEXT, grp TEXT);
        CREATE INDEX synonyms_term ON synonyms (term);
        """
    )
    rows = []
    fts_rows = []
    words: set[str] = set()
    ascii_texts: list[str] = []
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    collections = kb.collections()
    rowid = 0
    for key in INDEXED:
        for e in collections[key].values():
            rowid += 1
            origin = e.origin
            title = getattr(e, "title", None) or getattr(e, "name", "")
            aliases = " ; ".join(getattr(e, "aliases", ()))
            parts = [getattr(e, "description", "") or getattr(e, "summary", "")]
            for name in ("ask", "cautions", "do", "dont"):
                parts.extend(getattr(e, name, ()))
            if e.kind == "referral":
                parts.append(" ".join(s.replace("-", " ") for s in e.situations))
                for contact in e.contacts:  # "1-888-373-7888" is found as typed or as digits
                    parts.append(contact.value)
                    if contact.kind in ("phone", "sms", "tty"):
                        digits = re.sub(r"\D", "", contact.value)
                        forms = {digits}
                        if len(digits) == 11 and digits.startswith("1"):
                            forms.add(digits[1:])  # without the country code: "8883737888"
                        parts += [f for f in sorted(forms) if f != contact.value]
            body = " ".join(p for p in parts if p)
            rows.append((
                rowid, e.id, e.kind, title, getattr(e, "strength", None),
                " ".join(getattr(e, "settings", ())), " ".join(getattr(e, "types", ())),
                getattr(e, "audience", None), dumps(convert(e)), key,
                *((origin.layer, origin.file, origin.line, origin.depth) if origin
                  else (None, None, None, None)),
            ))
            fts_rows.append((rowid, e.id.replace("-", " "), title, aliases, body))
            text = f"{title} {aliases} {body}"
            if text.isascii():
                ascii_texts.append(text)
            else:
                words.update(_TOKEN.findall(fold(text)))
    # ASCII: lower-case, and every character that is not a word character separates words.
    words.update(" ".join(ascii_texts).lower().translate(_ASCII_SEPARATORS).split())
    conn.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.executemany(
        "INSERT INTO fts (rowid, ident, title, aliases, body) VALUES (?, ?, ?, ?, ?)", fts_rows
    )
    conn.executemany("INSERT INTO words VALUES (?)", [(w,) for w in sorted(words) if len(w) > 2])
    conn.executemany(
        "INSERT INTO synonyms VALUES (?, ?)",
        [(" ".join(_words(term)), group.id) for group in kb.synonyms.values()
         for term in group.terms if _words(term)],
    )


def _entry(body: str, layer: str | None, file: str | None, line: int | None) -> dict[str, Any]:
    """A hit's entry: as ``entry_to_dict(entry, with_origin=True)``."""
    data: dict[str, Any] = json.loads(body)
    if layer is not None:
        data["layer"] = layer
        data["file"] = file
        data["line"] = line
    return data


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _phrase(words: list[str], prefix: bool) -> str:
    text = _quote(" ".join(words))
    return f"{text}*" if prefix and len(words) == 1 and len(words[0]) >= 4 else text


def _concepts(
    conn: sqlite3.Connection, tokens: list[str], fixes: dict[str, str] | None = None
) -> list[list[list[str]]]:
    """Group the query into concepts: each a list of alternative phrasings (word lists).

    ``fixes`` maps a word the knowledge base does not know to its closest known word; both are
    searched, together with the synonyms of either.
    """
    fixes = fixes or {}
    groups: dict[str, list[str]] = {}
    for term, grp in conn.execute("SELECT term, grp FROM synonyms"):
        groups.setdefault(grp, []).append(term)
    term_groups: dict[str, list[str]] = {}
    for grp, terms in groups.items():
        for term in terms:
            term_groups.setdefault(term, []).append(grp)
    concepts: list[list[list[str]]] = []
    i = 0
    while i < len(tokens):
        matched = False
        for size in (3, 2, 1):  # longest synonym phrase first ("eye contact")
            if i + size > len(tokens):
                continue
            phrase = " ".join(tokens[i : i + size])
            if phrase in term_groups:
                alternatives = {phrase}
                for grp in term_groups[phrase]:
                    alternatives.update(groups[grp])
                concepts.append([a.split() for a in sorted(alternatives)])
                i += size
                matched = True
                break
        if not matched:
            token = tokens[i]
            if (token not in STOP_WORDS and len(token) > 1) or (
                len(tokens) == 1 and token not in STOP_WORDS
            ):
                alternatives = {token}
                fixed = fixes.get(token)
                if fixed:
                    alternatives.add(fixed)
                    for grp in term_groups.get(fixed, ()):
                        alternatives.update(groups[grp])
                concepts.append([a.split() for a in sorted(alternatives)])
            i += 1
    # Only common words ("the", "who"): nothing to search for; the caller says so.
    return concepts[:MAX_TOKENS]


def _concept_query(alternatives: list[list[str]]) -> str:
    return " OR ".join(_phrase(words, prefix=True) for words in alternatives)


def _where(filters: Filters) -> tuple[str, list[str]]:
    clauses, params = [], []
    if filters.kind:
        clauses.append("d.kind = ?")
        params.append(filters.kind)
    if filters.setting:
        clauses.append(
            "(' ' || d.settings || ' ' LIKE ? OR ' ' || d.settings || ' ' LIKE '% any %')"
        )
        params.append(f"% {filters.setting} %")
    if filters.type:
        clauses.append("' ' || d.types || ' ' LIKE ?")
        params.append(f"% {filters.type} %")
    if filters.audience:
        clauses.append("d.audience IN (?, 'any')")
        params.append(filters.audience)
    if filters.strength:
        clauses.append("d.strength = ?")
        params.append(filters.strength)
    return (" AND " + " AND ".join(clauses)) if clauses else "", params


_CANDIDATES = 400  # rows ranked by bm25 before the re-ranking


def _run(
    conn: sqlite3.Connection, tokens: list[str], filters: Filters, limit: int,
    fixes: dict[str, str] | None = None,
) -> list[Hit]:
    concepts = _concepts(conn, tokens, fixes)
    if not concepts:
        return []
    where, params = _where(filters)
    full = " OR ".join(f"({_concept_query(c)})" for c in concepts)
    # Rank every match cheaply; snippets and entries only for the hits shown.
    if where:
        rows = conn.execute(
            "SELECT fts.rowid, bm25(fts, ?, ?, ?, ?) AS rank, d.id, d.title "
            "FROM fts JOIN docs d ON d.rowid = fts.rowid "
            f"WHERE fts MATCH ?{where} ORDER BY rank, fts.rowid LIMIT {_CANDIDATES}",
            [*_WEIGHTS, full, *params],
        ).fetchall()
    else:  # no filter: rank the index alone, then name the candidates
        ranked = conn.execute(
            "SELECT rowid, bm25(fts, ?, ?, ?, ?) AS rank FROM fts "
            f"WHERE fts MATCH ? ORDER BY rank, rowid LIMIT {_CANDIDATES}",
            [*_WEIGHTS, full],
        ).fetchall()
        names = dict.fromkeys(rowid for rowid, _rank in ranked)
        if names:
            marks = ", ".join("?" * len(names))
            for rowid, entry_id, title in conn.execute(
                f"SELECT rowid, id, title FROM docs WHERE rowid IN ({marks})", list(names)
            ):
                names[rowid] = (entry_id, title)
        rows = [(rowid, rank, *names[rowid]) for rowid, rank in ranked]  # type: ignore[misc]
    if not rows:
        return []
    # Coverage: how many of the query's ideas an entry matches, each idea weighted by how rare it
    # is (inverse document frequency), so "cb" or "panicked" outweighs "keeps" or "said".
    coverage: dict[int, float] = {}
    if len(concepts) > 1:
        total = conn.execute("SELECT count(*) FROM docs").fetchone()[0] or 1
        matches = [
            [rowid for (rowid,) in conn.execute(
                "SELECT rowid FROM fts WHERE fts MATCH ?", [_concept_query(concept)])]
            for concept in concepts
        ]
        weights = [math.log((total + 1) / (len(m) + 0.5)) for m in matches]
        top = max(weights) or 1.0
        for rowids, weight in zip(matches, weights):
            for rowid in rowids:
                coverage[rowid] = coverage.get(rowid, 0.0) + weight / top
    query_text = " ".join(tokens)
    query_id = "-".join(tokens)
    literal = [t for t in tokens if t not in STOP_WORDS and len(t) > 2]
    worst = max(-r[1] for r in rows) or 1.0
    scored = []
    for rowid, rank, entry_id, title in rows:
        score = coverage.get(rowid, 1) + 0.9 * (-rank / worst)
        if entry_id == query_id or _fold(title) == query_text:
            score += 5
        elif literal:  # the officer's own words in the title, not only their synonyms
            title_words = _words(title)
            found = sum(any(w.startswith(t[:max(4, len(t) - 2)]) for w in title_words)
                        for t in literal)
            score += 0.8 * found / len(literal)
        scored.append((-round(score, 4), entry_id, rowid))
    scored.sort()
    hits = []
    for neg, entry_id, rowid in scored[:limit]:
        snippet, kind, title, body, layer, file, line = conn.execute(
            f"SELECT snippet(fts, 3, '{HIGHLIGHT_START}', '{HIGHLIGHT_END}', '…', 16), "
            "d.kind, d.title, d.body, d.layer, d.file, d.line "
            "FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH ? AND fts.rowid = ?",
            [full, rowid],
        ).fetchone()
        hits.append(Hit(entry_id, kind, title, -neg, snippet, _entry(body, layer, file, line)))
    return hits


def _fixes(conn: sqlite3.Connection, tokens: list[str]) -> dict[str, str]:
    """Closest known word for each word of the query that matches nothing in the index.

    A word is known when the index (stemmed, so "hitting" finds "hit") matches it: one small
    look-up per word, and the word list is read only when a word is unknown.
    """
    candidates = sorted({t for t in tokens if t not in STOP_WORDS
                         and 3 <= len(t) <= MAX_TYPO_LENGTH and not t.isdigit()})
    unknown = [
        t for t in candidates
        if conn.execute("SELECT 1 FROM fts WHERE fts MATCH ? LIMIT 1", [_quote(t)]).fetchone()
        is None
    ]
    if not unknown:
        return {}
    fixed = correct(conn, unknown, BLEND_CUTOFF)
    return {t: f for t, f in zip(unknown, fixed) if f != t}


TYPO_CUTOFF = 0.75  # when nothing was found: take the closest word
BLEND_CUTOFF = 0.8  # searched beside other words: only a clear misspelling ("pasport", not "lyft")


def correct(conn: sqlite3.Connection, tokens: list[str], cutoff: float = TYPO_CUTOFF) -> list[str]:
    """Replace each unknown word with the closest word of the knowledge base."""
    import difflib

    known = [w for (w,) in conn.execute("SELECT word FROM words")]
    known_set = set(known)
    fixed = []
    for token in tokens:
        if (token in known_set or token in STOP_WORDS or len(token) < 3
                or len(token) > MAX_TYPO_LENGTH):
            fixed.append(token)
            continue
        close = difflib.get_close_matches(token, known, n=1, cutoff=cutoff)
        fixed.append(close[0] if close else token)
    return fixed


def search(
    conn: sqlite3.Connection, query: str, filters: Filters | None = None, limit: int = 10
) -> Result:
    """Search for ``query``: best hits first; retries with corrected spelling when nothing is
    found."""
    filters = filters or Filters()
    tokens = _words(query)[: MAX_TOKENS * 4]
    result = Result(hits=[], query=query)
    if not tokens or limit < 1:
        return result
    fixes = _fixes(conn, tokens)
    result.hits = _run(conn, tokens, filters, limit, fixes)
    if fixes and result.hits:
        result.corrected = " ".join(fixes.get(t, t) for t in tokens)
    if result.hits:
        return result
    fixed = correct(conn, tokens)
    if fixed != tokens:
        result.corrected = " ".join(fixed)
        result.hits = _run(conn, fixed, filters, limit)
        if not result.hits:
            result.suggestions = [result.corrected]
    return result


def suggest_ids(ids: list[str], wanted: str, n: int = 3) -> list[str]:
    """Ids close to ``wanted``, for "did you mean" on an unknown id."""
    import difflib

    return difflib.get_close_matches(wanted, ids, n=n, cutoff=0.5)

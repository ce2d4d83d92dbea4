"""The report's notes section: what was written, and what a release let out.

One row per note (its latest version in the verified ledgers). `decision` is
`written` when no release given decides on the note, else the release's decision
(`release`, `redact` or `withhold`), or `other version` when the release decided
on a version whose hash is not this one (docs/report-format.md, "Notes").
Releases are verified by the command before their decisions reach here.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..ledger.findings import Finding
from . import html_budget
from .describe import path_text
from .mismatch import CODE, Mismatch
from .notes import NoteProblem, WrittenNote
from .report_text import NAME_CHARS, h_name

if TYPE_CHECKING:
    from .report import SessionReport


@dataclass(frozen=True)
class NoteRow:
    written: WrittenNote
    decision: str  # written, release, redact, withhold or "other version"
    mismatch: Mismatch | None = None  # its session's snapshot holds other content there


NAMED = 5  # skipped note entries a finding names; the JSON report lists every one


def note_findings(problems: list[NoteProblem]) -> list[Finding]:
    """One NOTE_FOREIGN finding for the entries that edit or withdraw another
    session's note, one NOTE_SKIPPED for those that do not fit the note format:
    each counts them and names the first NAMED (ADR 0308)."""
    out = []
    for foreign, code, what in (
        (True, "NOTE_FOREIGN", "edit or withdraw another session's note, not applied"),
        (False, "NOTE_SKIPPED", "do not fit the note format, skipped"),
    ):
        mine = [p for p in problems if p.foreign is foreign]
        if not mine:
            continue
        named = "; ".join(f"{p.ledger_path} entry {p.seq}: {p.why}" for p in mine[:NAMED])
        more = f"; and {len(mine) - NAMED:,} more" if len(mine) > NAMED else ""
        out.append(Finding(None, code, f"{len(mine):,} note entries {what}: {named}{more}"))
    return out


def note_rows(
    notes: list[WrittenNote],
    decided: Mapping[str, tuple[str, str]],
    sessions: Iterable[SessionReport] = (),
) -> list[NoteRow]:
    """`notes`: `written_notes`' (its problems go to `note_findings`); `decided`:
    note id -> (decision, version_hash) from verified releases; `sessions`: the
    report's, whose `mismatches` flag a note on a path and content its snapshot
    contradicts (ADR 0305)."""
    wrong = {s.key: s.mismatches for s in sessions if s.mismatches}
    rows = []
    for w in notes:
        decision, name = decided.get(w.id, ("written", w.version_hash))
        bad = wrong.get(w.ledger_path, {}).get(w.seq)
        rows.append(NoteRow(w, decision if name == w.version_hash else "other version", bad))
    return rows


def note_json(row: NoteRow) -> dict[str, object]:
    w, n = row.written, row.written.note
    return {
        "note": n.note,
        "version": n.version,
        "version_hash": w.version_hash,
        "ledger": w.ledger,
        "seq": w.seq,
        "time": w.time,
        "reviewer": w.reviewer,
        "note_kind": n.note_kind,
        "severity": n.severity,
        "title": n.title,
        **_path_fields(n.raw_path),
        "first": n.first,
        "last": n.last,
        "withdrawn": w.withdrawn,
        "decision": row.decision,
        "mismatch": None if row.mismatch is None else row.mismatch.as_json(),
    }


def _path_fields(raw: bytes) -> dict[str, str]:
    """`path` (U+FFFD for bytes that are not UTF-8) and then `path_b64`, its exact
    bytes, as every other path of the report."""
    try:
        return {"path": raw.decode("utf-8")}
    except UnicodeDecodeError:
        b64 = base64.b64encode(raw).decode("ascii")
        return {"path": raw.decode("utf-8", "replace"), "path_b64": b64}


def notes_html(rows: list[NoteRow], h, skipped: int = 0) -> Iterator[str]:  # noqa: ANN001
    """The Notes section (`h`: the escaper), bounded like the page's other growing
    sections: at most NOTES_ROWS rows and NOTES_BYTES, then one cut row. `skipped`:
    note entries left out (NOTE_FOREIGN, NOTE_SKIPPED)."""
    yield '<section id="notes"><h2>Notes</h2>\n'
    left = (
        f"<p>{skipped:,} note entries left out (NOTE_FOREIGN, NOTE_SKIPPED: see the "
        "findings; the JSON report's <code>notes_skipped</code> lists every one).</p>\n"
        if skipped
        else ""
    )
    if not rows:
        yield f"<p>None.</p>{left}</section>\n"
        return
    counts = {
        d: sum(1 for r in rows if r.decision == d)
        for d in ("release", "redact", "withhold", "written", "other version")
    }
    other = counts["other version"]
    tail = f", {other} decided on another version" if other else ""
    yield (
        f"<p>{len(rows)} written; {counts['release']} released, {counts['redact']} "
        f"redacted, {counts['withhold']} withheld, {counts['written']} not decided{tail}.</p>\n"
    )
    yield left
    yield (
        '<table class="sortable"><thead><tr><th>Time</th><th>Reviewer</th><th>Kind</th>'
        "<th>Title</th><th>Where</th><th>Decision</th></tr></thead><tbody>\n"
    )
    budget = html_budget.Budget(html_budget.NOTES_ROWS, html_budget.NOTES_BYTES)
    for k, r in enumerate(rows):
        w, n = r.written, r.written.note
        where = path_text(n.raw_path) + (f":{n.first}-{n.last}" if n.first else "")
        gone = " (withdrawn)" if w.withdrawn else ""
        flag = (  # the why on hover, as on the coverage rows
            f' <span class="flag" title="{h(r.mismatch.message())}">{CODE}</span>'
            if r.mismatch is not None
            else ""
        )
        cls = ' class="mismatch"' if r.mismatch is not None else ""
        row = (
            f"<tr{cls}><td>{h(w.time or '')}</td><td>{h_name(w.reviewer or '')}</td>"
            f"<td>{h(n.note_kind)} {h(n.severity)}</td>"
            f"<td>{h_name(n.title, 16 * NAME_CHARS)}{gone}</td>"
            f"<td>{h(where)}{flag}</td><td>{h(r.decision)}</td></tr>\n"
        )
        if not budget.take(row):
            yield (
                f'<tr class="cut"><td colspan="6">{len(rows) - k:,} more notes not shown '
                "here (the page's bound): the JSON report lists every one</td></tr>\n"
            )
            break
        yield row
    yield "</tbody></table></section>\n"

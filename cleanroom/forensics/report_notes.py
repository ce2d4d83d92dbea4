"""The report's notes section: what was written, and what a release let out.

One row per note (its latest version in the verified ledgers). `decision` is
`written` when no release given decides on the note, else the release's decision
(`release`, `redact` or `withhold`), or `other version` when the release decided
on a version whose hash is not this one (docs/report-format.md, "Notes").
Releases are verified by the command before their decisions reach here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .mismatch import CODE, Mismatch
from .notes import WrittenNote, written_notes
from .timeline import Evidence

if TYPE_CHECKING:
    from .report import SessionReport


@dataclass(frozen=True)
class NoteRow:
    written: WrittenNote
    decision: str  # written, release, redact, withhold or "other version"
    mismatch: Mismatch | None = None  # its session's snapshot holds other content there


def note_rows(
    evidence: Evidence,
    decided: Mapping[str, tuple[str, str]],
    sessions: Iterable[SessionReport] = (),
) -> list[NoteRow]:
    """`decided`: note id -> (decision, version_hash) from verified releases;
    `sessions`: the report's, whose `mismatches` flag a note on a path and content
    its snapshot contradicts (ADR 0305)."""
    wrong = {s.key: s.mismatches for s in sessions if s.mismatches}
    notes, _ = written_notes(evidence)
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
        "path": n.raw_path.decode("utf-8", "replace"),
        "first": n.first,
        "last": n.last,
        "withdrawn": w.withdrawn,
        "decision": row.decision,
        "mismatch": None if row.mismatch is None else row.mismatch.as_json(),
    }


def notes_html(rows: list[NoteRow], h) -> Iterator[str]:  # noqa: ANN001 (h: the escaper)
    yield '<section id="notes"><h2>Notes</h2>\n'
    if not rows:
        yield "<p>None.</p></section>\n"
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
    yield (
        '<table class="sortable"><thead><tr><th>Time</th><th>Reviewer</th><th>Kind</th>'
        "<th>Title</th><th>Where</th><th>Decision</th></tr></thead><tbody>\n"
    )
    for r in rows:
        w, n = r.written, r.written.note
        where = n.raw_path.decode("utf-8", "replace") + (f":{n.first}-{n.last}" if n.first else "")
        gone = " (withdrawn)" if w.withdrawn else ""
        flag = (  # the why on hover, as on the coverage rows
            f' <span class="flag" title="{h(r.mismatch.message())}">{CODE}</span>'
            if r.mismatch is not None
            else ""
        )
        cls = ' class="mismatch"' if r.mismatch is not None else ""
        yield (
            f"<tr{cls}><td>{h(w.time or '')}</td><td>{h(w.reviewer or '')}</td>"
            f"<td>{h(n.note_kind)} {h(n.severity)}</td><td>{h(n.title)}{gone}</td>"
            f"<td>{h(where)}{flag}</td><td>{h(r.decision)}</td></tr>\n"
        )
    yield "</tbody></table></section>\n"

"""What replay draws for one step: the code the reviewer saw, their search
results, the file names a quick open or the tree listed at that step, or why
their screen showed none of them. Shared by the replay app and the
asciicast export, so both show the same thing for the same step."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from ...forensics.describe import describe, plural
from ...forensics.replay import Replay, SearchCheck
from ...forensics.screen import Viewport
from ...sanitize import clean, decode
from ...session.events import (
    QuickOpenList,
    SearchStart,
    SymbolDefinitions,
    SymbolOutline,
    SymbolQuickOpen,
    TreeList,
    path_from_fields,
)
from ...session.source import Opened
from ..banner import banner_text
from ..filetree import label
from ..results import hit_prompt
from ..symbol_rows import symbol_prompt

HIDDEN = {
    "idle": "The reviewer's screen was blank: idle lock.",
    "locked": "The reviewer's screen was locked by an alert.",
    "ended": "An alert ended the session; nothing was shown.",
    "crashed": "The workstation stopped here; nothing was shown until the next view.",
    "sealed": "The session is sealed; nothing more was shown.",
}


@dataclass(frozen=True)
class Stage:
    """`kind` is `code` (draw `viewport` of `opened`), `results` (draw `rows`),
    `names` (draw `rows`: the file names listed) or `message` (draw only `message`)."""

    kind: str
    banner: Text
    alarm: bool = False  # the banner reports a problem
    message: str = ""
    opened: Opened | None = None
    viewport: Viewport | None = None
    rows: list[Text] | None = None


REPLAY_HINT = "f: only this file's events"  # a replay key: the reviewer's `f` is not one


def stage_of(replay: Replay, index: int) -> Stage:
    step = replay.steps[index]
    screen = step.screen
    if screen.hidden is not None:
        return Stage("message", Text(""), message=HIDDEN.get(screen.hidden, screen.hidden))
    if isinstance(step.entry.event, QuickOpenList):
        return _quick_open_names(step.entry.event)
    if isinstance(step.entry.event, TreeList):
        return _tree_names(replay, step.entry.event)
    if isinstance(step.entry.event, SymbolOutline | SymbolDefinitions | SymbolQuickOpen):
        return _symbols(replay, step.entry.seq)
    if screen.searching and screen.search_seq is not None:
        return _results(replay.searches.get(screen.search_seq), screen.result_rows)
    vp = screen.viewport
    if vp is None:
        if screen.file is not None:
            name = clean(decode(screen.file.raw_path))
            return Stage("message", Text(f" {name}"), message="Opened; not shown yet.")
        return Stage("message", Text(""), message="No file open.")
    opened = replay.content(vp.path, vp.blob)
    if opened is None:
        name = clean(decode(vp.path))
        why = (f"The snapshot given does not hold this content ({clean(vp.blob[:16])}…) at "
               f"{name}; nothing can be drawn.")  # fmt: skip
        return Stage("message", Text(f" {name}"), True, why)
    banner = banner_text(opened.path, opened.lines, opened.flags, REPLAY_HINT)
    return Stage("code", banner, bool(opened.flags), opened=opened, viewport=vp)


def _quick_open_names(ev: QuickOpenList) -> Stage:
    """The names the quick-open box listed, as the ledger holds them."""
    names = [_name(n) for n in ev.names]
    head = (f" Quick open “{clean(ev.query)}”: {plural(len(names), 'name')} listed"
            f" of {ev.matches:,} matching")  # fmt: skip
    if 0 <= ev.searched < ev.total:  # a bounded request that stopped early
        head += f" in the first {ev.searched:,} of {ev.total:,} names"
    rows = [Text(clean(decode(p))) for p in names if p is not None]
    bad = len(rows) != len(names)
    message = "" if rows else "No names listed."
    if bad:
        message = "Some names in this entry cannot be read; they are not drawn."
    return Stage("names", Text(head), bad, message, rows=rows)


def _name(fields: object) -> bytes | None:
    """One listed name's path, or None if the entry holds none that can be read."""
    try:
        return path_from_fields(fields) if isinstance(fields, dict) else None
    except (ValueError, TypeError):  # bad base64 (binascii.Error is a ValueError)
        return None


def _tree_names(replay: Replay, ev: TreeList) -> Stage:
    """The names the tree listed for a directory at this step (one page of it),
    from the session's snapshot, as the tree labels them; only if the snapshot
    lists as many names there as the ledger says (`total`; all of them for a
    ledger of before pages)."""
    name = clean(decode(ev.raw_path)) + "/" if ev.raw_path else "the snapshot's root"
    total = ev.entries if ev.total < 0 else ev.total
    which = (
        f"{ev.start + 1:,}-{ev.start + ev.entries:,} of {plural(total, 'name')}"
        if ev.entries and (ev.start or ev.entries < total)
        else plural(ev.entries, "name")
    )
    head = f" Tree: {name} listed, {which} (beside the code)"
    listing = replay.listing(ev.raw_path)
    if listing is None:
        why = "The snapshot given does not hold this directory; its names cannot be drawn."
        return Stage("message", Text(head), True, why)
    if len(listing) != total:
        why = (f"The snapshot given lists {plural(len(listing), 'name')} here, not "
               f"{total}; they are not drawn.")  # fmt: skip
        return Stage("message", Text(head), True, why)
    if ev.start + ev.entries > total:
        why = f"This step names more than the directory's {total} names; none are drawn."
        return Stage("message", Text(head), True, why)
    page = listing[ev.start : ev.start + ev.entries]
    return Stage("names", Text(head), rows=[label(e) for e in page],
                 message="" if listing else "An empty directory.")  # fmt: skip


def _symbols(replay: Replay, seq: int) -> Stage:
    """What an outline, a definitions list or a symbol quick open listed, derived
    again from the signed index (forensics/symbol_check.py), if it agrees."""
    if seq not in replay.symbols:
        replay.check_symbols()
    check = replay.symbols.get(seq)
    if check is None:
        return Stage("message", Text(" Symbols"), True, "This list was not derived again.")
    head = Text(" " + clean(describe(replay.steps[replay.index_of_seq(seq) or 0].entry)))
    if check.error is not None:
        return Stage("message", head, True, f"Cannot derive it again: {clean(check.error)}")
    if not check.ok:
        why = f"MISMATCH: the signed index gives {clean(check.now)}; nothing is drawn."
        return Stage("message", head, True, why)
    if isinstance(check.recorded, SymbolQuickOpen):
        rows = [Text(clean(n)) for n in check.names]
    else:
        rows = [symbol_prompt(s) for s in check.rows]
    return Stage("names", head, rows=rows, message="" if rows else "Nothing listed.")


def _results(check: SearchCheck | None, rows: tuple[int, int] | None) -> Stage:
    if check is None:
        return Stage("message", Text(" Search"), True, "This search was not run again.")
    ev = check.recorded
    how = "regex" if ev.regex else "text"
    if isinstance(ev, SearchStart):  # a first page, listed before the count was known
        head = f" “{clean(ev.query)}” ({how}): the first {plural(ev.rows, 'result')}"
    else:
        head = f" “{clean(ev.query)}” ({how}): {plural(ev.hits, 'result')}"
    if check.error is not None:
        return Stage("message", Text(head), True, f"Cannot run it again: {clean(check.error)}")
    if not check.ok:
        text = Text(f"{head}; MISMATCH: run again, {plural(check.total or 0, 'result')}", "bold")
        text.append(f", digest {clean(check.digest[:12]) if check.digest else '?'}…"
                    f" not {clean(ev.digest[:12])}…")  # fmt: skip
        alarm = True
    else:
        same = f"{head}; run again: same results (digest {clean(ev.digest[:12])}…)"
        text, alarm = Text(same), False
    if rows is None:
        return Stage("results", text, alarm, "No result rows shown yet.", rows=[])
    first, last = rows
    return Stage("results", text, alarm, rows=[hit_prompt(h) for h in check.hits[first : last + 1]])


def step_line(replay: Replay, index: int, compact: bool = False) -> str:
    """`#seq  time  what happened`, sanitized; `compact` gives the time of day only."""
    entry = replay.steps[index].entry
    when = entry.time or "?"
    if compact:
        when = when[11:23] or when
    return clean(f"#{entry.seq} {when} {describe(entry)}")

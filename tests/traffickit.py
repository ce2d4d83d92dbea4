"""Every answer that carried source or names is covered by the ledger entry that
recorded it (issue 13), and its lines are the snapshot's, cut as protocol.md §6
says. Used on the traffic a logging proxy saw between a terminal and a recorder."""

from __future__ import annotations

from collections.abc import Sequence

from cleanroom.recorder import messages as m
from cleanroom.session.display import visible
from cleanroom.session.events import path_from_fields


def check_covered(pairs: Sequence[tuple[object, object]], entries: Sequence,
                  files: dict[bytes, bytes]) -> dict[str, int]:  # fmt: skip
    """Assert each (request, answer) that showed something was recorded first, and
    that nothing recorded went unanswered; the count of answers of each kind."""
    recorded = {kind: [e.payload for e in entries if e.kind == kind]
                for kind in ("view", "search_results_view", "quick_open_list", "tree_list",
                             "file_open")}  # fmt: skip
    answered = {"lines": 0, "hits": 0, "paths": 0, "listing": 0, "opened": 0}
    snapshot_lines = {p: d.split(b"\n") for p, d in files.items()}
    views = {(path_from_fields(v), v["blob"], v["first"], v["last"], v["col"], v["cols"])
             for v in recorded["view"]}  # fmt: skip
    for request, answer in pairs:
        if isinstance(answer, m.Lines):
            answered["lines"] += 1
            assert isinstance(request, m.View)
            key = (request.path, request.blob, request.first, request.last, request.col,
                   request.cols)  # fmt: skip
            assert key in views, key
            raw = snapshot_lines[request.path][request.first - 1 : request.last]
            # Exactly the display cells the view names: nothing left or right of them.
            want = [visible(x, len(x), request.col, request.cols).encode() for x in raw]
            assert answer.lines == want
        elif isinstance(answer, m.Hits):
            answered["hits"] += 1
            assert isinstance(request, m.Rows)
            rows = {(v["search_seq"], v["first"], v["last"])
                    for v in recorded["search_results_view"]}  # fmt: skip
            assert (request.search_seq, request.first, request.last) in rows
            assert len(answer.hits) == request.last - request.first + 1
        elif isinstance(answer, m.Paths):
            answered["paths"] += 1
            assert isinstance(request, m.Names | m.Pick)
            lists = [[path_from_fields(n) for n in v["names"]] for v in recorded["quick_open_list"]
                     if v["query"] == request.query]  # fmt: skip
            assert list(answer.paths) in lists
        elif isinstance(answer, m.Listing):
            answered["listing"] += 1
            assert isinstance(request, m.Tree)
            page = {"path": request.path.decode(), "entries": len(answer.items),
                    "start": request.start, "total": answer.total}  # fmt: skip
            assert page in recorded["tree_list"]
        elif isinstance(answer, m.Opened):
            answered["opened"] += 1
            assert answer.path in {path_from_fields(v) for v in recorded["file_open"]}
    # something of each kind went over the wire, and no entry was left unanswered
    assert all(answered.values()), answered
    assert answered["opened"] == len(recorded["file_open"])
    assert answered["listing"] == len(recorded["tree_list"])
    assert answered["paths"] == len(recorded["quick_open_list"])
    assert answered["hits"] == len(recorded["search_results_view"])
    assert answered["lines"] >= len(recorded["view"])  # a repaint is answered, not re-recorded
    return answered

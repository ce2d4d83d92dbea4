"""Forensics: what verified ledgers say a reviewer saw, searched for and did.

Every answer here starts from ledgers checked by the verifier that `cleanroom
verify` uses, and carries each ledger's status. A TAMPERED ledger's entries are
withheld unless asked for, and then always marked (docs/adr/0300). No textual or
rich here: the core is shared by the report and who-viewed commands, and by a
replay viewer to come.

Modules, one concept each:

- `timeline`: verify a ledger, then decode the very rows that were verified into
  typed entries; `Evidence` is a set of them with the cross-session findings.
- `screen`: what was on the reviewer's screen after each entry, and the
  intervals each viewport, or each set of search result rows, stayed visible
  (idle and outages excluded).
- `coverage`: per file and content, how long each line was on screen.
- `describe`: one line of plain words per entry.
- `report`: the report model; `report_html`, `report_json`, `report_jsonl`
  and `report_csv` write it.
- `sessionindex`: what who-viewed needs from one session, compact and storable.
- `cache`: verification results keyed by ledger content hash, authenticated.
- `versions`: a file across snapshot versions, and where a line range moved.
- `target`: who-viewed's question, normalised and checked against a snapshot:
  one file, a directory or a glob, and the closest paths when it names none.
- `resultlines`: the file lines search result rows showed, by running the
  recorded search again on the session's snapshot.
- `whoviewed`: who had given lines on screen, or searched for given text.
- `notes`: reviewers' notes, the latest version of each, from verified ledgers;
  `report_notes`: the report's notes section (written, released, withheld).
"""

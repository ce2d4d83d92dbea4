"""The symbol index: definitions found by universal-ctags when the snapshot is
created, stored in the `symbols` table and sealed by the manifest
(docs/snapshot-format.md §9, docs/adr/0108-symbol-index-ctags.md).

`table` (schema and digest), `rows` (what a row must be), `languages`
(which files are indexed, as what), `ctags` (building it: vendor side only; it
starts a process), `check` (verify), `query` (the read API the reviewer side uses),
`references` (the references pattern as pure text, for forensics).
"""

"""Source snapshots: one vendor-signed SQLite file per reviewed tree.

`walk` reads a directory safely, `create` writes a snapshot, `store` reads one
for the viewer, `verify` checks every byte of one. docs/snapshot-format.md is
the specification.
"""

"""The recorder service (docs/protocol.md, ADR 0202): the process that alone holds
the snapshot, the workstation key and the ledger, and answers the reviewer's
terminal with exactly what it has recorded. Layered above session/ and guard/,
below tui/ and cli/; it never imports textual or rich."""

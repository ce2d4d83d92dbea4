"""Spilling a large ledger's entries to a private file instead of holding them (ADR 0310).

`parts.py` is the verifier's tap (`cleanroom.ledger.verify.Tap`): each process
that checks rows turns them into records and writes them to its own part file.
`store.py` gathers a ledger's parts into one unlinked file per reading, and
`sequence.py` reads them back as a sequence, with a bounded cache of decoded
chunks shared by every sequence of the process.
"""

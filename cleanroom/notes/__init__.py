"""Reviewer notes (issue 16, in the terminal): the note model and its limits
(`model`), a session's notes (`book`), and earlier sessions' notes read back
from their ledgers (`earlier`). Pure: no textual, no recording; the session
records each note (`session.review`) before the terminal says it is saved."""

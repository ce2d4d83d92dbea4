"""The verbatim check: does a reviewer's note carry source text out of the room?

Pure (no textual, no output): the CLI (`cleanroom notes check`) and the release
command show what it finds. docs/notes-release.md §1 defines what is reported;
docs/threat-model.md says what it cannot catch.

- `normal`: whitespace normalisation, and a note's words.
- `corpus`: a snapshot's text as the check reads it: the trigram index for
  candidates, each blob's normalised text for exact matching, blob to paths.
- `rawmatch`: a window confirmed in an ASCII blob's raw bytes, not normalised.
- `verbatim`: the runs of a note of at least `min_length` characters that occur
  in the snapshot, with every place.
- `rare`: names in a note that occur only once or twice in the snapshot.
- `check`: both, for every note.
"""

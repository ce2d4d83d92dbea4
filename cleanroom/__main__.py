"""`python -m cleanroom`: isolated first (cleanroom.isolation), then the CLI."""

from cleanroom.isolation import main

main()

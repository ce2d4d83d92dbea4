from cleanroom.cli import main

main()

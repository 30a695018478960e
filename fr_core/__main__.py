from fr_core.cli import main

main()

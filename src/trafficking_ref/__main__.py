from trafficking_ref.cli.entry import main

main()

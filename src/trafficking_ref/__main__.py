from trafficking_ref.cli.app import run

run()

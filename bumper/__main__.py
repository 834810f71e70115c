from bumper.cli import run

run()

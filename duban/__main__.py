from duban.cli import app

app()

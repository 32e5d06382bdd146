from distillguard.cli import app

app()

"""The ``hosting-app`` console command: Flask's CLI bound to create_app."""

import sys

from flask.cli import FlaskGroup

from hosting_app import create_app
from hosting_app.embedded_pg import EmbeddedPostgresError


def main() -> None:
    """Run the hosting-app command line."""
    cli = FlaskGroup(create_app=create_app, help="hosting_app : offre d'accueil des entreprises.")
    try:
        cli()
    except EmbeddedPostgresError as error:
        print(f"Error: {error}", file=sys.stderr)
        sys.exit(1)

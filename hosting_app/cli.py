"""The ``hosting-app`` console command: Flask's CLI bound to create_app."""

from flask.cli import FlaskGroup

from hosting_app import create_app


def main() -> None:
    """Run the hosting-app command line."""
    FlaskGroup(create_app=create_app, help="hosting_app : offre d'accueil des entreprises.")()

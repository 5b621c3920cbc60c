"""Flask extensions, created here and bound to the app in create_app()."""

from flask_login import LoginManager
from flask_sqlalchemy_lite import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

db = SQLAlchemy(engine_options={"plugins": ["geoalchemy2"], "pool_pre_ping": True})
login_manager = LoginManager()
csrf = CSRFProtect()

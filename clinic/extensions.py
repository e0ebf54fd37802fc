"""Flask extensions, created unbound here and initialised by the factory (keeps imports one-way)."""

from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from clinic.models.base import Base
from clinic.net import client_ip

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=client_ip, default_limits=[])

"""What every settings module reads (config/settings.py, config/ca.py): DEBUG, the project's
directory and the directory of what it writes (var/: tokens, exports, broker files)."""

from pathlib import Path

from portal.lib.env import env_bool, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)

"""The configuration directory: ``monitor.yaml``, ``sources.yaml`` and ``keywords.yaml``.

``load_config(directory, checks)`` gives a validated ``Config`` or raises ``ConfigErrors`` whose items print as
``FILE:LINE:COL: what is wrong; how to fix it``. ``ConfigWatcher`` reloads it while the daemon runs and keeps the last
good version when an edit is broken.
"""

from monitor.config.errors import ConfigError, ConfigErrors, ConfigProblem
from monitor.config.loader import Check, Config, load_config
from monitor.config.watcher import ConfigWatcher

__all__ = ["Check", "Config", "ConfigError", "ConfigErrors", "ConfigProblem", "ConfigWatcher", "load_config"]

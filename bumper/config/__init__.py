"""The config file: one loader (load_config), the typed settings (Config), the matrix and
its workflow import. Commands need only ``from bumper.config import Config, load_config``.
"""

from bumper.config.load import load_config
from bumper.config.settings import Config

__all__ = ["Config", "load_config"]

"""`bumper schema`: print the JSON Schema of the config file."""

from __future__ import annotations

import argparse
import json

from bumper.config.schema import config_schema


def main(args: argparse.Namespace) -> int:
    print(json.dumps(config_schema(), indent=2))
    return 0

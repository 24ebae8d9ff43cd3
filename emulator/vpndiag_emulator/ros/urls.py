"""The ROS API's host names: central and regional."""

from __future__ import annotations

import re

# ros.aliyuncs.com and ros.{region}.aliyuncs.com (the SDK's endpoint map uses both).
HOST_PATTERN = re.compile(r"ros(?:\.[a-z0-9-]+)?\.aliyuncs\.com")
DEFAULT_HOST = "ros.aliyuncs.com"

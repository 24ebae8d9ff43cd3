"""The VPC API's host names: central, regional, and the in-VPC regional endpoint."""

from __future__ import annotations

import re

# vpc.aliyuncs.com, vpc.{region}.aliyuncs.com, vpc-vpc.{region}.aliyuncs.com.
HOST_PATTERN = re.compile(r"vpc(?:\.[a-z0-9-]+|-vpc\.[a-z0-9-]+)?\.aliyuncs\.com")
DEFAULT_HOST = "vpc.aliyuncs.com"

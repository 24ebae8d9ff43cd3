"""The emulated ROS: the vendor's resource specification, template loading and validation."""

"""Provisioners: one module per product, each turning its ROS types into emulated resources."""

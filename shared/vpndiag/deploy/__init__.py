"""``vpndiag deploy``: upload the code, create the custom event bus, create or update the ROS stack.

Used by the command line only; the functions never import it.
"""

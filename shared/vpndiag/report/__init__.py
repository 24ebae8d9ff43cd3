"""Reports people read: the HTML health report of an archive over a period, and its short message.

``collect`` reads the period's state snapshots and summaries (partition by partition), ``sla`` turns
level changes into availability figures, ``charts`` draws SVG, ``html`` renders the page and
``message`` the robot message; ``build`` ties them together for the CLI, the demo and the function.
"""

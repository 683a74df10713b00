"""Running the work of a print run or a send: jobs, and who does them (executor.py)."""

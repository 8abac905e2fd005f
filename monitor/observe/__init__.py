"""Watching Beatwatch from outside: the daemon's health and metrics over HTTP (``server``, ``metrics``), and logs a
platform can read (``logs``). Their settings (``http:`` and ``log:`` in monitor.yaml) are in ``settings``."""

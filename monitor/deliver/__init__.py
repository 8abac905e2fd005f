"""The deliver stage: outputs (console, slack, email) behind one interface, routes, and the durable outbox.

The kinds of output and how they are built from monitor.yaml are in ``outputs/``; the stage's other settings
(digest, delivery, routes, admin) in ``settings``.
"""

from monitor.deliver.base import DeliveryError, LookUp, Origin, Output, OutputContext, Part

__all__ = ["DeliveryError", "LookUp", "Origin", "Output", "OutputContext", "Part"]

"""A faithful local WeCom: the API client's test double, the demo's data source.

Part of stage 1 (fetch). ``Simulator`` serves the endpoints the engine uses
(``gettoken``, check-in month and day data, directory, leave types, media upload and
message send) over real HTTP on loopback, with WeCom's error codes, rate windows and
quirks, for a deterministic synthetic ``Company``. ``Faults`` adds the network and
service failures a client must survive.
"""

from engine.wecom.simulator.api import Message, Request
from engine.wecom.simulator.company import Company, Department, User, make_company
from engine.wecom.simulator.faults import Faults
from engine.wecom.simulator.server import DEFAULT_LIMITS, SimConfig, Simulator
from engine.wecom.simulator.state import SimStats
from engine.wecom.simulator.upload import MediaFile

__all__ = [
    "Company", "DEFAULT_LIMITS", "Department", "Faults", "MediaFile", "Message", "Request",
    "SimConfig", "SimStats", "Simulator", "User", "make_company",
]

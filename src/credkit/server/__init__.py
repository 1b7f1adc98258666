"""credkit's HTTP face: a VC-API service, hosted diplomas and status lists, a verification page.

Needs the ``server`` extra (FastAPI, uvicorn). Start it with ``credkit serve``; build the same
published material as static files with ``credkit site build``. Names are imported lazily, so
the framework-free parts (``credkit.verify.report``) load without the extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from credkit.server.app import create_app
    from credkit.server.state import ServerConfig, ServerState, load_tokens

__all__ = ["ServerConfig", "ServerState", "create_app", "load_tokens"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from credkit.server.app import create_app

        return create_app
    if name in ("ServerConfig", "ServerState", "load_tokens"):
        from credkit.server import state

        return getattr(state, name)
    raise AttributeError(name)

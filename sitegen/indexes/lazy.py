"""numpy and scipy.sparse, imported when first used: they take half a second to import, and
a rebuild whose related articles are kept from the last build never needs them."""

from __future__ import annotations

import importlib
from typing import Any


class OnFirstUse:
    """A module imported by the first attribute asked of it."""

    def __init__(self, name: str):
        self._name = name
        self._module: Any = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


np: Any = OnFirstUse("numpy")
sp: Any = OnFirstUse("scipy.sparse")

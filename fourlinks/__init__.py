"""The ``fourlinks`` command: the composition root that wires settings, stores, the engine and
the API together. Nothing here decides anything; it only calls the engine."""

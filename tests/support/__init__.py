"""What the tests share besides fixtures: the emulator harness, the engine and CLI drivers, the
secrets audit. ``conftest.py`` holds only fixtures and hooks built from these."""

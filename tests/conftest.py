"""Root conftest: loads the shared fixture plugins of tests/fixtures/.

Add a plugin module there and list it here; keep fixtures out of this file so that
each concern (a database server, an exchange emulator...) stays in its own module.
"""

pytest_plugins = [
    "fixtures.hypothesis_profile",
    "fixtures.postgres",
    "fixtures.shared_data",
    "fixtures.coingecko",
    "fixtures.emulator",
    "fixtures.cli",
]

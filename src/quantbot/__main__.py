"""Allow ``python -m quantbot`` as an alias of the ``quantbot`` console script."""

from quantbot.cli.main import main

main()

"""The stack program: the fleet of numbers and routes described in this stack's config.

Config (see stacks/Pulumi.dev.yaml): ``routes`` (shared routes by name), ``e911`` (shared E911
addresses by name), ``cnam`` (shared caller names by name), ``messaging`` (the account's
webhooks) and ``numbers`` (each entry: ``number`` or ``search``, ``alias``, ``primary``,
``failover``, ``e911``, ``cnam``, ``release_on_delete``, ``adopt``...). Everything is validated
before any resource is registered. It is the library's own entry point, which an infra repo's
``__main__.py`` calls the same way (README, "A fleet from stack config in your infra repo").
"""

from pulumi_flowroute.fleet import deploy_fleet_from_config

deploy_fleet_from_config()

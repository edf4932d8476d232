"""The stack program: the fleet of numbers and routes described in this stack's config.

Config (see stacks/Pulumi.dev.yaml): ``routes`` (shared routes by name), ``e911`` (shared E911
addresses by name), ``cnam`` (shared caller names by name), ``messaging`` (the account's
webhooks) and ``numbers`` (each entry: ``number`` or ``search``, ``alias``, ``primary``,
``failover``, ``e911``, ``cnam``,
``release_on_delete``, ``adopt``...). Everything is validated before any resource is
registered.
"""

import pulumi

from pulumi_flowroute.fleet import deploy_numbers, deploy_shared, parse_fleet

config = pulumi.Config()
fleet = parse_fleet(
    config.get_object("routes"),
    config.get_object("numbers"),
    config.get_object("e911"),
    config.get_object("messaging"),
    config.get_object("cnam"),
)
shared = deploy_shared(fleet)
pulumi.export("numbers", deploy_numbers(fleet, shared))
# What other stacks name as {route_id: ...} / {e911_id: ...}: `pulumi_flowroute split` does.
pulumi.export("routes", shared.route_ids)
pulumi.export("e911", shared.e911_ids)
pulumi.export("cnam", shared.cnam_ids)

"""URL map of the emulated API and of the emulator's control surface."""

from __future__ import annotations

from werkzeug.routing import Map, Rule

url_map = Map(
    [
        Rule("/v2/numbers", methods=["GET"], endpoint="list_numbers"),
        Rule("/v2/numbers/available", methods=["GET"], endpoint="list_available"),
        Rule("/v2/numbers/<number>", methods=["POST"], endpoint="purchase"),
        Rule("/v2/numbers/<number>", methods=["GET"], endpoint="get_number"),
        Rule("/v2/numbers/<number>", methods=["PATCH"], endpoint="update_number"),
        Rule("/v2/numbers/<number>", methods=["DELETE"], endpoint="release"),
        Rule(
            "/v2/numbers/<number>/relationships/<any(primary_route, failover_route):slot>",
            methods=["PATCH"],
            endpoint="set_route",
        ),
        Rule(
            "/v2/numbers/<number>/relationships/<any(primary_route, failover_route):slot>",
            methods=["DELETE"],
            endpoint="remove_route",
        ),
        Rule(
            "/v2/numbers/<number>/relationships/e911s/<e911_id>",
            methods=["PATCH"],
            endpoint="assign_e911",
        ),
        Rule(
            "/v2/numbers/<number>/relationships/e911s", methods=["DELETE"], endpoint="unassign_e911"
        ),
        Rule("/v2/e911s", methods=["GET"], endpoint="list_e911s"),
        Rule("/v2/e911s", methods=["POST"], endpoint="create_e911"),
        Rule("/v2/e911s/validate", methods=["POST"], endpoint="validate_e911"),
        Rule("/v2/e911s/<e911_id>", methods=["GET"], endpoint="get_e911"),
        Rule("/v2/e911s/<e911_id>", methods=["PATCH"], endpoint="update_e911"),
        Rule("/v2/e911s/<e911_id>", methods=["DELETE"], endpoint="delete_e911"),
        Rule(
            "/v2/e911s/<e911_id>/relationships/numbers",
            methods=["GET"],
            endpoint="e911_numbers",
        ),
        Rule(
            "/v2.1/messages/<any(sms_callback, mms_callback, dlr_callback):kind>",
            methods=["GET"],
            endpoint="get_callback",
        ),
        Rule(
            "/<any('v2.1', 'v2.2'):version>/messages/<any(sms_callback, mms_callback, "
            "dlr_callback, sms_dlr_callback, mms_dlr_callback):kind>",
            methods=["PUT"],
            endpoint="set_callback",
        ),
        Rule(
            "/v2.2/messages/<any(sms_callback, mms_callback, dlr_callback, sms_dlr_callback, "
            "mms_dlr_callback):kind>",
            methods=["DELETE"],
            endpoint="remove_callback",
        ),
        # The Python, PHP and .NET SDKs say cnam, the documentation and Node say cnams.
        Rule(
            "/v2/numbers/<number>/relationships/<any(cnam, cnams):_path>/<cnam_id>",
            methods=["PATCH"],
            endpoint="assign_cnam",
        ),
        Rule(
            "/v2/numbers/<number>/relationships/<any(cnam, cnams):_path>",
            methods=["DELETE"],
            endpoint="unassign_cnam",
        ),
        Rule("/v2/cnams", methods=["GET"], endpoint="list_cnams"),
        Rule("/v2/cnams", methods=["POST"], endpoint="create_cnam"),
        Rule("/v2/cnams/<cnam_id>", methods=["GET"], endpoint="get_cnam"),
        Rule("/v2/cnams/<cnam_id>", methods=["PATCH"], endpoint="update_cnam"),
        Rule("/v2/cnams/<cnam_id>", methods=["DELETE"], endpoint="delete_cnam"),
        Rule("/v2/routes", methods=["GET"], endpoint="list_routes"),
        Rule("/v2/routes/edge_strategies", methods=["GET"], endpoint="list_edge_strategies"),
        Rule("/v2/routes", methods=["POST"], endpoint="create_route"),
        Rule("/v2/routes/<route_id>", methods=["PATCH"], endpoint="update_route"),
        Rule("/v2/routes/<route_id>", methods=["DELETE"], endpoint="delete_route"),
        Rule("/_emulator/reset", methods=["POST"], endpoint="control_reset"),
        Rule("/_emulator/numbers", methods=["POST"], endpoint="control_seed_number"),
        Rule("/_emulator/balance", methods=["PUT"], endpoint="control_balance"),
        Rule("/_emulator/requests", methods=["GET"], endpoint="control_requests"),
        Rule("/_emulator/requests", methods=["DELETE"], endpoint="control_clear_requests"),
        Rule("/_emulator/faults", methods=["POST"], endpoint="control_add_fault"),
        Rule("/_emulator/faults", methods=["DELETE"], endpoint="control_clear_faults"),
        Rule(
            "/_emulator/cnams/<cnam_id>/<any(approve, reject):decision>",
            methods=["POST"],
            endpoint="control_decide_cnam",
        ),
    ],
    strict_slashes=False,
)

"""The ``flowroute`` Pulumi provider plugin: this library's resources for every language.

``pulumi package add`` runs the plugin directory of this repository (``plugin/``), whose
``__main__.py`` calls :func:`serve`. See :mod:`.provider` for how the calls reach the same
provider classes as the dynamic resources, and :mod:`.package_schema` for the schema.
"""

from .server import serve

__all__ = ["serve"]

"""The emulated API by area, as moto splits a service's responses; :mod:`..responses` joins
them into one WSGI application."""

"""Fakes that ship with the tests: a Slack Web API server, signed requests, a WSGI server."""

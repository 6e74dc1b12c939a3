# The Slack fixtures, for these tests until tests/conftest.py registers them for the suite.
from tests.fakes.fixtures import make_bolt_app, slack_api, slack_settings  # noqa: F401

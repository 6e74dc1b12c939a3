"""The Slack seam: the Web API client, the gateway (pacing, verdicts), history, request guards."""

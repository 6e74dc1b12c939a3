"""What casedesk owes Slack, and the one road by which it is sent.

- :mod:`bot.notify.owed`: the one table of what each change owes (card, App Homes, DMs,
  channel notices), written to the outbox in the change's own transaction.
- :mod:`bot.notify.outbox`: writing an owed row; telling the business managers of what Slack
  refused for good (:mod:`bot.notify.undelivered`).
- :mod:`bot.notify.sender`: the one sender loop, woken after every commit that owed something;
  :mod:`bot.notify.delivery` leases, sends and records each row; :mod:`bot.notify.drawn` draws
  the kinds drawn when sent (card, home, reminder, digest).
"""

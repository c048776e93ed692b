"""Telegram below the services: the Bot API gateway, Mini App initData checks, texts.

Nothing here touches the database; the services decide what to send and
record what happened.
"""

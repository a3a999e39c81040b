"""Notifications: SMS and WeChat messages through a transactional outbox.

Producers write a row to the outbox in the same transaction as the change that causes
it; a worker hands rows to a gateway, each row claimed atomically and sent at most once.
"""

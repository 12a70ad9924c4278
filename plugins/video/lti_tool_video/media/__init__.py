"""The media worker: an aiortc peer that records a room and replays what someone missed.

Everything in this package runs in its own asyncio process (``lti-tool media-worker``) and
is never imported by the web process.
"""

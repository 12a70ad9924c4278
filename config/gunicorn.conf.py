# gunicorn 26 removed the eventlet worker; gevent serves Socket.IO's WebSocket transport.
import multiprocessing
import os

bind = os.environ.get("LTI_TOOL_BIND", "0.0.0.0:8000")
worker_class = "gevent"
workers = int(os.environ.get("LTI_TOOL_WORKERS", multiprocessing.cpu_count()))
worker_connections = 10000
# Socket.IO long-polling needs each client to stay on one worker: run one worker per port
# behind a sticky load balancer, or set workers = 1 and scale by processes.
timeout = 60

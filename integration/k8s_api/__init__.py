"""A test Kubernetes API server in the Python standard library (see k8s_api_server.py)."""

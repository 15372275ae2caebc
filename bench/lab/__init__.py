"""Helpers of the BGP lab benchmark (bench/bgp_lab_bench.py): the receiver, the three senders,
packet timestamps and process memory. Built on integration/lab.py (namespaces, processes)."""

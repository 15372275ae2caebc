"""integration/lab.py (namespaces, veth links, processes stopped by PID, wait_for), loaded
under its own name: inside bench/ the name `lab` is this package."""
import importlib.util
import os

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "integration",
                     "lab.py")
_spec = importlib.util.spec_from_file_location("vipd_integration_lab", _PATH)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

Lab = _module.Lab
sh = _module.sh
wait_for = _module.wait_for
Bird = _module.Bird
Frr = _module.Frr

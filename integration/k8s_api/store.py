"""Objects, the global resourceVersion counter, the bounded event history and persistence.

One lock guards everything; a write is read-modify-commit under it, so optimistic concurrency
is exact. Stored objects are never mutated after commit (writers store fresh dicts), so lists
and watch events can hand them out without copying.

History: the last `history_limit` events (each with the object before and after). A watch
from resourceVersion R replays events after R; R older than the compaction point gets 410.
A list at an exact older resourceVersion (and every page of a paginated list) is rebuilt by
undoing the events after it.
"""

import collections
import json
import os
import threading

from .errors import expired, too_large_rv


class Event:
    __slots__ = ("rv", "key", "type", "obj", "prev")

    def __init__(self, rv, key, type_, obj, prev):
        self.rv, self.key, self.type, self.obj, self.prev = rv, key, type_, obj, prev


def obj_key(obj):
    m = obj["metadata"]
    return (m.get("namespace") or "", m["name"])


class Store:
    def __init__(self, history_limit=10000, state_path=None):
        self.cond = threading.Condition(threading.RLock())
        self.rv = 1
        self.objects = collections.defaultdict(dict)  # (group, plural) -> {(ns, name): obj}
        self.history = collections.deque()
        self.history_limit = max(1, history_limit)
        self.compacted_rv = 1  # events with rv <= this are gone
        self.watch_epoch = 0  # bumped to end every open watch (--drop-watches-every)
        self.stopping = False
        self.state_path = state_path
        self._dirty = False

    # -- reads (call with self.cond held, or accept a racy read) --

    def get(self, key, ns, name):
        return self.objects[key].get((ns or "", name))

    def items(self, key, ns=None):
        objs = self.objects[key]
        keys = sorted(k for k in objs if ns is None or k[0] == ns)
        return [objs[k] for k in keys]

    def items_at(self, key, ns, rv):
        """The objects of one resource as they were at rv; 410 when that is compacted."""
        if rv > self.rv:
            raise too_large_rv(rv, self.rv)
        if rv < self.compacted_rv:
            raise expired("The resourceVersion for the provided list is too old.")
        state = dict(self.objects[key])
        for ev in reversed(self.history):
            if ev.rv <= rv:
                break
            if ev.key != key:
                continue
            k = obj_key(ev.obj)
            if ev.prev is None:
                state.pop(k, None)
            else:
                state[k] = ev.prev
        return [state[k] for k in sorted(state) if ns is None or k[0] == ns]

    def events_after(self, rv, key):
        """Events of one resource after rv (caller checked rv >= compacted_rv)."""
        if not self.history or rv >= self.rv:
            return []
        first = self.history[0].rv
        start = max(0, rv + 1 - first)
        out = []
        for i in range(start, len(self.history)):
            ev = self.history[i]
            if ev.key == key:
                out.append(ev)
        return out

    # -- writes (call with self.cond held) --

    def next_rv(self):
        return self.rv + 1

    def commit(self, key, type_, obj, prev):
        """Stores obj (ADDED/MODIFIED) or removes it (DELETED: obj is its last state). The
        caller has already written the new resourceVersion (next_rv()) into obj."""
        self.rv += 1
        assert obj["metadata"]["resourceVersion"] == str(self.rv)
        k = obj_key(obj)
        if type_ == "DELETED":
            self.objects[key].pop(k, None)
        else:
            self.objects[key][k] = obj
        if len(self.history) >= self.history_limit:
            dropped = self.history.popleft()
            self.compacted_rv = dropped.rv
        self.history.append(Event(self.rv, key, type_, obj, prev))
        self._dirty = True
        self.cond.notify_all()

    def drop_watches(self):
        with self.cond:
            self.watch_epoch += 1
            self.cond.notify_all()

    def stop(self):
        with self.cond:
            self.stopping = True
            self.cond.notify_all()

    # -- persistence --

    def save(self, force=False):
        if not self.state_path:
            return
        with self.cond:
            if not (self._dirty or force):
                return
            state = {"resourceVersion": self.rv,
                     "objects": [[list(key), obj] for key, objs in sorted(self.objects.items())
                                 for _, obj in sorted(objs.items())]}
            self._dirty = False
            data = json.dumps(state, separators=(",", ":"))
        tmp = self.state_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(data)
        os.replace(tmp, self.state_path)

    def load(self):
        """Restores objects and the counter; the history starts empty (like a restarted
        apiserver's watch cache), so watches from older versions get 410."""
        if not self.state_path or not os.path.exists(self.state_path):
            return False
        with open(self.state_path) as f:
            state = json.load(f)
        self.rv = int(state["resourceVersion"])
        self.compacted_rv = self.rv
        for key, obj in state["objects"]:
            self.objects[tuple(key)][obj_key(obj)] = obj
        return True

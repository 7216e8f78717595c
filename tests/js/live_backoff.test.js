// live.js against a server that accepts, says "ready" and closes with 4013 at once, as during a
// Redis outage: count the sockets one tab opens. Run by tests/workflows/test_live_script.py
// (node --test), with a fake clock and a fake WebSocket; no browser, no sleeping.
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const SCRIPT = fs.readFileSync(path.join(__dirname, "..", "..", "static", "regflow", "live.js"), "utf8");

function page({ closeAtOnce }) {
  let now = 0;
  let nextId = 1;
  const timers = new Map();
  const sockets = [];

  function setTimeout(fn, ms) {
    const id = nextId++;
    timers.set(id, { at: now + Math.max(0, ms || 0), fn });
    return id;
  }
  function clearTimeout(id) {
    timers.delete(id);
  }
  function advance(ms) {
    const until = now + ms;
    for (;;) {
      let due = null;
      for (const [id, timer] of timers) {
        if (timer.at <= until && (due === null || timer.at < due[1].at)) due = [id, timer];
      }
      if (due === null) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = until;
  }

  class FakeSocket {
    constructor(url) {
      this.url = url;
      this.listeners = {};
      this.openedAt = now;
      sockets.push(this);
      // The server's answer arrives on the next turns of the event loop, as over a network.
      setTimeout(() => {
        this.emit("open", {});
        this.emit("message", { data: JSON.stringify({ type: "ready", last_id: 0, unread: 0, replayed: 0 }) });
        if (closeAtOnce()) this.emit("close", { code: 4013 });
      }, 5);
    }
    addEventListener(type, fn) {
      (this.listeners[type] = this.listeners[type] || []).push(fn);
    }
    emit(type, event) {
      (this.listeners[type] || []).forEach((fn) => fn(event));
    }
    close(code) {
      this.emit("close", { code });
    }
  }

  const attributes = { "data-user": "7", "data-socket": "/ws/notifications/", "data-unread": "0" };
  const badge = {
    getAttribute: (name) => (name in attributes ? attributes[name] : null),
    setAttribute: (name, value) => {
      attributes[name] = String(value);
    },
    querySelector: () => null,
    classList: { toggle: () => {} },
  };
  const storage = new Map();
  const sandbox = {
    JSON,
    Math,
    URL,
    WebSocket: FakeSocket,
    setTimeout,
    clearTimeout,
    sessionStorage: {
      getItem: (key) => (storage.has(key) ? storage.get(key) : null),
      setItem: (key, value) => storage.set(key, String(value)),
    },
    location: { protocol: "http:", host: "127.0.0.1", href: "http://127.0.0.1/", pathname: "/" },
    addEventListener: () => {},
    document: {
      readyState: "complete",
      visibilityState: "visible",
      getElementById: (id) => (id === "regflow-live-badge" ? badge : null),
      querySelectorAll: () => [],
      addEventListener: () => {},
    },
  };
  sandbox.window = sandbox;
  vm.createContext(sandbox);
  vm.runInContext(SCRIPT, sandbox);
  return { sockets, advance };
}

test("a server that closes every socket at once gets a few sockets in 20 s, not one per half second", () => {
  const { sockets, advance } = page({ closeAtOnce: () => true });
  advance(20000);
  // Doubling from 0.5 s with jitter in the upper half of each step: at most 8 in 20 s (was about 50).
  assert.ok(sockets.length <= 8, `opened ${sockets.length} sockets in 20 s`);
  assert.ok(sockets.length >= 3, `opened ${sockets.length}: it must keep trying`);
});

test("the back-off is capped: a long outage retries about every 15 to 30 s", () => {
  const { sockets, advance } = page({ closeAtOnce: () => true });
  advance(10 * 60 * 1000);
  const gaps = sockets.slice(-5).map((s, i, all) => (i ? s.openedAt - all[i - 1].openedAt : null)).slice(1);
  gaps.forEach((gap) => assert.ok(gap >= 15000 && gap <= 30000 + 10, `gap ${gap} ms`));
});

test("a socket that stayed open resets the back-off, so the next drop reconnects quickly", () => {
  let failing = true;
  const { sockets, advance } = page({ closeAtOnce: () => failing });
  advance(60000); // many failures: the delay has grown to its cap
  failing = false;
  advance(31000); // the next socket opens and stays up past STABLE_MS
  const stable = sockets[sockets.length - 1];
  advance(31000);
  assert.strictEqual(sockets[sockets.length - 1], stable, "a healthy socket is kept");
  const before = sockets.length;
  stable.close(1006); // a network blip
  advance(600); // within the minimum delay (0.5 s at most) plus the server's answer
  assert.strictEqual(sockets.length, before + 1, "reconnected within the minimum delay");
});

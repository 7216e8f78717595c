/*
 * Regflow live notifications. One websocket per tab, opened once and kept
 * across Turbo visits; no framework.
 *
 * - Connects to the socket named by #regflow-live-badge (present only for a
 *   signed-in user) with the last notification id this tab saw, so that the
 *   server replays what was missed, in order.
 * - Reconnects with exponential back-off (capped, with jitter); at once when
 *   the tab becomes visible or the network comes back. The back-off is reset
 *   only once a socket has stayed open for STABLE_MS: a server that accepts,
 *   says "ready" and closes at once (Redis down, a restart) is not hammered.
 * - Shows the unread count on the badge and a toast per new notification.
 * - Refreshes in place every element with [data-regflow-live][id] when a
 *   notification arrives and after a reconnect: it fetches the current page
 *   and swaps the element's content by id (debounced).
 *
 * Messages carry ids, kinds and links only; the words come from the page
 * (#regflow-live-words), translated by the server in the page's language.
 * Served as a static file: the content security policy allows no inline script.
 */
(function () {
  "use strict";

  if (window.RegflowLive) {
    return; // Turbo evaluates head scripts once, but a second copy must not open a second socket
  }

  var MIN_DELAY = 500;
  var MAX_DELAY = 30000;
  var STABLE_MS = 30000;
  var REFRESH_DEBOUNCE = 250;
  var TOAST_MS = 8000;
  var MAX_TOASTS = 3;

  var state = {
    socket: null,
    userId: null,
    socketPath: null,
    words: null,
    delay: MIN_DELAY,
    reconnectTimer: null,
    stableTimer: null,
    refreshTimer: null,
    refreshing: false,
    refreshAgain: false,
    readyOnce: false,
    stopped: true,
  };

  // --- Configuration from the page --------------------------------------------

  function badge() {
    return document.getElementById("regflow-live-badge");
  }

  function readConfig() {
    var el = badge();
    if (!el) {
      return null;
    }
    var words = {};
    var script = document.getElementById("regflow-live-words");
    if (script) {
      try {
        words = JSON.parse(script.textContent);
      } catch (e) {
        words = {};
      }
    }
    return { userId: el.getAttribute("data-user"), socketPath: el.getAttribute("data-socket"), words: words };
  }

  function word(name, count) {
    var text = (state.words && state.words[name]) || "";
    return count === undefined ? text : text.replace("%(count)s", String(count));
  }

  function kindLabel(kind) {
    var kinds = (state.words && state.words.kinds) || {};
    return kinds[kind] || word("default") || kind;
  }

  // "New task in your queue · Termination case #12": the record's number, never its contents.
  function notificationText(message) {
    var subjects = (state.words && state.words.subjects) || {};
    var template = subjects[message.object_type];
    var id = String(message.object_id || "");
    var label = kindLabel(message.kind);
    return template && /^[0-9A-Za-z_-]+$/.test(id) ? label + " · " + template.replace("%(id)s", id) : label;
  }

  // --- The cursor: the last notification id this tab has seen ---------------------

  function storageKey() {
    return "regflow.live.last." + state.userId;
  }

  function lastId() {
    try {
      var value = window.sessionStorage.getItem(storageKey());
      return value === null ? null : parseInt(value, 10);
    } catch (e) {
      return state.memoryLast === undefined ? null : state.memoryLast;
    }
  }

  function setLastId(value) {
    state.memoryLast = value;
    try {
      window.sessionStorage.setItem(storageKey(), String(value));
    } catch (e) {
      /* private mode: the in-memory copy serves this page */
    }
  }

  // --- Badge and toasts ------------------------------------------------------------

  function setUnread(count) {
    var el = badge();
    if (!el) {
      return;
    }
    count = Math.max(0, count | 0);
    el.setAttribute("data-unread", String(count));
    var label = count ? word("unread", count) : word("none");
    el.setAttribute("title", label);
    el.setAttribute("aria-label", label);
    var number = el.querySelector(".regflow-live-badge__count");
    if (number) {
      number.textContent = count > 99 ? "99+" : String(count);
      number.hidden = count === 0;
    }
  }

  function bumpUnread() {
    var el = badge();
    if (el) {
      setUnread(parseInt(el.getAttribute("data-unread") || "0", 10) + 1);
    }
  }

  function setOnline(online) {
    var el = badge();
    if (el) {
      el.classList.toggle("regflow-live-badge--offline", !online);
      if (!online) {
        el.setAttribute("title", word("offline"));
      }
    }
  }

  function safeLink(url) {
    // Links are paths on this site; anything else is not followed.
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/" ? url : null;
  }

  function toast(text, url) {
    var box = document.getElementById("regflow-live-toasts");
    if (!box) {
      return;
    }
    while (box.children.length >= MAX_TOASTS) {
      box.removeChild(box.firstChild);
    }
    var item = document.createElement("div");
    item.className = "regflow-live-toast";
    item.setAttribute("role", "status");
    var message = document.createElement("span");
    message.className = "regflow-live-toast__text";
    message.textContent = text;
    item.appendChild(message);
    var link = document.createElement("a");
    link.className = "regflow-live-toast__action";
    link.href = safeLink(url) || (badge() ? badge().getAttribute("href") : "#");
    link.textContent = safeLink(url) ? word("open") : word("all");
    item.appendChild(link);
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "regflow-live-toast__dismiss";
    dismiss.setAttribute("aria-label", word("dismiss"));
    dismiss.textContent = "×";
    dismiss.addEventListener("click", function () {
      item.remove();
    });
    item.appendChild(dismiss);
    box.appendChild(item);
    window.setTimeout(function () {
      item.remove();
    }, TOAST_MS);
  }

  // --- Refreshing [data-regflow-live] elements in place --------------------------

  function scheduleRefresh() {
    window.clearTimeout(state.refreshTimer);
    state.refreshTimer = window.setTimeout(refreshLive, REFRESH_DEBOUNCE);
  }

  function busy(el) {
    // Never pull a field out from under someone typing in it; try again later.
    var active = document.activeElement;
    if (!active || !el.contains(active)) {
      return false;
    }
    if (active.tagName === "TEXTAREA" || active.tagName === "SELECT") {
      return true;
    }
    return active.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset)$/.test(active.type);
  }

  function tickedBoxes(el) {
    // Boxes ticked in the old content (a queue's "claim selected") stay ticked in the new one.
    return Array.prototype.map.call(el.querySelectorAll("input[type=checkbox]:checked"), function (box) {
      return box.name + "\u0000" + box.value;
    });
  }

  function tickAgain(el, ticked) {
    Array.prototype.forEach.call(el.querySelectorAll("input[type=checkbox]"), function (box) {
      if (ticked.indexOf(box.name + "\u0000" + box.value) !== -1) {
        box.checked = true;
      }
    });
  }

  function refreshLive() {
    var targets = Array.prototype.slice.call(document.querySelectorAll("[data-regflow-live][id]"));
    if (!targets.length) {
      return;
    }
    if (state.refreshing) {
      state.refreshAgain = true;
      return;
    }
    state.refreshing = true;
    var pageUrl = window.location.href;
    window
      .fetch(pageUrl, { credentials: "same-origin", headers: { Accept: "text/html", "X-Regflow-Live": "1" } })
      .then(function (response) {
        var sameUrl = !response.redirected || new URL(response.url).pathname === window.location.pathname;
        if (!response.ok || !sameUrl) {
          return null; // signed out meanwhile, or the page moved: leave it as it is
        }
        return response.text();
      })
      .then(function (html) {
        if (html === null || window.location.href !== pageUrl) {
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var retry = false;
        targets.forEach(function (el) {
          var replacement = fresh.getElementById(el.id);
          if (!replacement || !el.isConnected) {
            return;
          }
          if (busy(el)) {
            retry = true;
            return;
          }
          var ticked = tickedBoxes(el);
          el.innerHTML = replacement.innerHTML;
          tickAgain(el, ticked);
          el.dispatchEvent(new CustomEvent("regflow:live-refreshed", { bubbles: true }));
        });
        var freshBadge = fresh.getElementById("regflow-live-badge");
        if (freshBadge) {
          setUnread(parseInt(freshBadge.getAttribute("data-unread") || "0", 10));
        }
        if (retry) {
          window.setTimeout(scheduleRefresh, 2000);
        }
      })
      .catch(function () {
        /* offline: the reconnect will refresh */
      })
      .then(function () {
        state.refreshing = false;
        if (state.refreshAgain) {
          state.refreshAgain = false;
          scheduleRefresh();
        }
      });
  }

  // --- The socket ----------------------------------------------------------------

  function socketUrl() {
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var last = lastId();
    var query = last === null || isNaN(last) ? "" : "?last_id=" + encodeURIComponent(last);
    return scheme + "//" + window.location.host + state.socketPath + query;
  }

  function onMessage(event) {
    var message;
    try {
      message = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (message.type === "notification") {
      var last = lastId();
      if (last !== null && message.id <= last) {
        return; // the server sends each id once; this guards a replay racing a page reload
      }
      setLastId(message.id);
      if (message.replayed) {
        state.replayed += 1;
      } else {
        bumpUnread();
        toast(notificationText(message), message.url);
        scheduleRefresh();
      }
    } else if (message.type === "ready") {
      setLastId(message.last_id);
      setUnread(message.unread);
      setOnline(true);
      if (message.replayed > 0) {
        toast(word("missed", message.replayed), null);
      }
      if (state.readyOnce || message.replayed > 0) {
        scheduleRefresh(); // after a gap the page may be stale
      }
      state.readyOnce = true;
    } else if (message.type === "unread") {
      setUnread(message.unread); // read in another tab: an open notification list shows it too
      scheduleRefresh();
    }
  }

  function connect() {
    if (state.stopped || state.socket) {
      return;
    }
    window.clearTimeout(state.reconnectTimer);
    state.replayed = 0;
    var socket;
    try {
      socket = new WebSocket(socketUrl());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    state.socket = socket;
    socket.addEventListener("message", onMessage);
    socket.addEventListener("open", function () {
      window.clearTimeout(state.stableTimer);
      state.stableTimer = window.setTimeout(function () {
        if (state.socket === socket) {
          state.delay = MIN_DELAY; // it stayed up: the next drop is a fresh one
        }
      }, STABLE_MS);
    });
    socket.addEventListener("close", function () {
      if (state.socket === socket) {
        window.clearTimeout(state.stableTimer);
        state.socket = null;
        setOnline(false);
        scheduleReconnect();
      }
    });
  }

  function scheduleReconnect() {
    if (state.stopped) {
      return;
    }
    window.clearTimeout(state.reconnectTimer);
    var wait = state.delay / 2 + Math.random() * (state.delay / 2);
    state.delay = Math.min(state.delay * 2, MAX_DELAY);
    state.reconnectTimer = window.setTimeout(connect, wait);
  }

  function stop() {
    state.stopped = true;
    window.clearTimeout(state.reconnectTimer);
    window.clearTimeout(state.stableTimer);
    if (state.socket) {
      var socket = state.socket;
      state.socket = null;
      socket.close(1000);
    }
  }

  function reconnectNow() {
    if (!state.stopped && !state.socket) {
      state.delay = MIN_DELAY;
      connect();
    }
  }

  // Called on the first page and on every Turbo visit: keep the socket if the
  // same user is signed in, drop it when signed out, switch when the user changed.
  function sync() {
    var config = readConfig();
    if (!config || !config.socketPath) {
      stop();
      state.userId = null;
      return;
    }
    state.words = config.words;
    state.socketPath = config.socketPath;
    if (config.userId !== state.userId) {
      stop();
      state.userId = config.userId;
      state.readyOnce = false;
      state.delay = MIN_DELAY;
    } else if (!state.socket) {
      setOnline(false);
    }
    state.stopped = false;
    connect();
  }

  window.RegflowLive = { sync: sync, refresh: scheduleRefresh, state: state };

  document.addEventListener("turbo:load", sync);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      reconnectNow();
    }
  });
  window.addEventListener("online", reconnectNow);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", sync);
  } else {
    sync();
  }
})();

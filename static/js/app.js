// Small progressive enhancements; every page works without this file.

// A background poll (hx-trigger="every …"), as opposed to a request a person started.
function polling(elt) {
  return Boolean(elt && elt.getAttribute && (elt.getAttribute("hx-trigger") || "").startsWith("every"));
}

// When each self-refreshing widget (by id) last ran its own poll while the live signal answered.
const kpiwLastPoll = new Map();

// While a plain form post is on its way (the page is about to be replaced by its answer), the
// widgets' own refreshes wait: a poll answering "reload" (HX-Refresh) would cancel that
// navigation, and with it the "done" message its answer carries. Cleared if no page came.
let kpiwLeavingUntil = 0;
document.addEventListener("submit", (e) => {
  const form = e.target;
  if (e.defaultPrevented || !form || form.hasAttribute("hx-post") || form.hasAttribute("hx-get")
      || (form.getAttribute("target") || "_self") !== "_self") return;
  kpiwLeavingUntil = Date.now() + 10000;
});
window.addEventListener("pageshow", () => { kpiwLeavingUntil = 0; });
function selfRefresh(elt, cause) {
  return polling(elt) || Boolean(cause && cause.type === "kpiw:changed");
}

document.addEventListener("DOMContentLoaded", () => {
  if (window.htmx) {
    // 204 = "nothing changed": keep what is on screen.
    htmx.config.defaultSwapStyle = "outerHTML";
    // htmx's trigger filters ("every 3s [cond]") need eval, which the Content-Security-Policy
    // forbids; these two rules stand in for them. Polls wait while the tab is hidden, and
    // a form marked data-trigger-on="radio" is sent only by a change of one of its radios.
    document.body.addEventListener("htmx:confirm", (e) => {
      const elt = e.detail.elt;
      if (polling(elt) && document.visibilityState !== "visible") {
        e.preventDefault();
        return;
      }
      if (Date.now() < kpiwLeavingUntil && selfRefresh(elt, e.detail.triggeringEvent)) {
        e.preventDefault();
        return;
      }
      // While the live signal answers (live.js), a widget is refreshed by its "kpiw:changed"
      // event: its own slow poll waits, and runs again as soon as the signal fails.
      const cause = e.detail.triggeringEvent;
      const pushed = cause && cause.type === "kpiw:changed";
      if (polling(elt) && !pushed && window.kpiwLive && window.kpiwLive.healthy()) {
        // Still one poll every 30 s per widget: a change made outside the services (the
        // admin) moves no live counter, and must reach the screens in the end all the same.
        const key = elt.id || elt.getAttribute("hx-get");
        const now = Date.now();
        if (!kpiwLastPoll.has(key)) kpiwLastPoll.set(key, now);
        if (now - kpiwLastPoll.get(key) < 30000) {
          e.preventDefault();
          return;
        }
        kpiwLastPoll.set(key, now);
      }
      // A list that refreshes itself (the moderation queue, the comments) waits while someone
      // is typing in it: a swap would throw away the reason or reply being written.
      if ((polling(elt) || pushed) && elt.hasAttribute && elt.hasAttribute("data-keep-while-typing")) {
        const typing = Array.from(elt.querySelectorAll("input:not([type=hidden]), textarea"))
          .some((f) => f === document.activeElement || f.value);
        if (typing) {
          e.preventDefault();
          return;
        }
      }
      const only = elt.dataset && elt.dataset.triggerOn;
      const source = e.detail.triggeringEvent && e.detail.triggeringEvent.target;
      if (only && e.detail.triggeringEvent && e.detail.triggeringEvent.type === "change"
          && !(source && source.type === only)) {
        e.preventDefault();
      }
    });
    // A refresh already in flight when the form was sent: drop its answer (HX-Refresh too).
    document.body.addEventListener("htmx:beforeOnLoad", (e) => {
      const cfg = e.detail.requestConfig || {};
      if (Date.now() < kpiwLeavingUntil && selfRefresh(e.detail.elt, cfg.triggeringEvent)) {
        e.preventDefault();
      }
    });
    // A 503 with Retry-After ("the database connection dropped, try again", core/dbfaults.py)
    // carries a message for the page's #kpiw-retry slot: show it instead of doing nothing.
    document.body.addEventListener("htmx:beforeSwap", (e) => {
      const xhr = e.detail.xhr;
      if (xhr.status === 503 && xhr.getResponseHeader("Retry-After") && document.getElementById("kpiw-retry")) {
        e.detail.shouldSwap = true;
        e.detail.isError = false;
      }
    });
    // A later tap that went through clears the "try again" message; a widget refreshing itself
    // (its poll, or the live signal's "kpiw:changed") does not: the room moves every second,
    // and the message must stay until the person's own next try.
    document.body.addEventListener("htmx:afterRequest", (e) => {
      const slot = document.getElementById("kpiw-retry");
      if (!slot || !slot.textContent || !e.detail.xhr || e.detail.xhr.status >= 400) return;
      const cause = e.detail.requestConfig && e.detail.requestConfig.triggeringEvent;
      if (polling(e.detail.elt) || (cause && cause.type === "kpiw:changed")) return;
      const empty = document.createElement("div");
      empty.id = "kpiw-retry";
      slot.replaceWith(empty);
    });
    // Move focus to swapped-in error messages so screen readers announce them.
    document.body.addEventListener("htmx:afterSwap", (e) => {
      const alert = e.detail.elt.querySelector && e.detail.elt.querySelector("[data-autofocus]");
      if (alert) alert.focus();
    });
    // The polled stage panel replaces itself, live region included, and a live region that is
    // replaced is not reliably read out. Announce the new stage in the persistent one instead.
    let stageMoved = false;
    document.body.addEventListener("stageChanged", () => { stageMoved = true; });
    document.body.addEventListener("htmx:afterSettle", () => {
      if (!stageMoved) return;
      stageMoved = false;
      const heading = document.getElementById("stage-heading");
      const announcer = document.getElementById("live-announcer");
      if (heading && announcer) announcer.textContent = heading.textContent.replace(/\s+/g, " ").trim();
    });
  }
  // Delegated, so that buttons swapped in by htmx (a new join code) work too.
  document.addEventListener("click", async (e) => {
    const btn = e.target.closest && e.target.closest("[data-copy]");
    if (!btn || btn.dataset.copying) return;
    try {
      await navigator.clipboard.writeText(btn.dataset.copy);
      // innerHTML, not textContent: keep the visually hidden part of the button's name.
      const old = btn.innerHTML;
      btn.dataset.copying = "1";
      btn.textContent = btn.dataset.copied || "✓";
      setTimeout(() => { btn.innerHTML = old; delete btn.dataset.copying; }, 1500);
    } catch (_) { /* clipboard unavailable: the link is visible to copy by hand */ }
  });
});

// Countdowns: [data-countdown="<ISO end time>"] shows m:ss left, ticking every second.
function kpiwTickCountdowns() {
  document.querySelectorAll("[data-countdown]").forEach((el) => {
    const end = Date.parse(el.dataset.countdown);
    if (Number.isNaN(end)) return;
    let s = Math.max(0, Math.round((end - Date.now()) / 1000));
    const h = Math.floor(s / 3600); s %= 3600;
    const m = Math.floor(s / 60); const sec = String(s % 60).padStart(2, "0");
    el.textContent = h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
  });
}
setInterval(kpiwTickCountdowns, 1000);

// A vote was saved: the budget widget learns the dots left from the event, not a new request.
document.addEventListener("voteCast", (e) => {
  const left = e.detail && e.detail.remaining;
  if (left === undefined || left === null) return;
  document.querySelectorAll("[data-budget-remaining]").forEach((el) => { el.textContent = left; });
});

// A thin progress bar for requests a person started (not the background polls), shown only if
// the answer takes more than 300 ms.
(function () {
  let timer = null;
  let pending = 0;
  document.addEventListener("htmx:beforeRequest", (e) => {
    if (polling(e.detail.elt)) return;
    pending += 1;
    if (!timer) timer = setTimeout(() => document.body.classList.add("kpiw-busy"), 300);
  });
  document.addEventListener("htmx:afterRequest", (e) => {
    if (polling(e.detail.elt)) return;
    pending = Math.max(0, pending - 1);
    if (pending === 0) {
      clearTimeout(timer);
      timer = null;
      document.body.classList.remove("kpiw-busy");
    }
  });
})();

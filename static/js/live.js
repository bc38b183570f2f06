// The room's live signal (kpiworkshop/core/live.py). A workshop's pages carry
// <body data-live-url="/live/<id>/?t=…" data-live-ms="500">: this asks it "changed?" about twice
// a second (If-None-Match → 304 while nothing changed) and, when the workshop's counter moves,
// dispatches "kpiw:changed" on <body>. Widgets listen with
// hx-trigger="every 3s, kpiw:changed from:body" and fetch their fragment.
//
// While answers come, the widgets' own slow polls are skipped (app.js asks kpiwLive.healthy());
// when the signal fails (server restarting, a proxy in the way) this backs off and the slow
// polls run again: the page degrades to polling, it never breaks. Every page works without it.
(function () {
  const body = document.body;
  const url = body && body.dataset.liveUrl;
  const state = { healthy: false, etag: null, failures: 0, timer: null, inflight: false };
  window.kpiwLive = { healthy: () => state.healthy };
  if (!url || !window.fetch) return;
  const pace = Math.max(100, parseInt(body.dataset.liveMs, 10) || 500);

  function schedule(delay) {
    clearTimeout(state.timer);
    // Up to half a pace more at random, so a room of phones does not ask in step.
    state.timer = setTimeout(ask, delay + Math.random() * pace * 0.5);
  }

  function failed() {
    state.failures += 1;
    // After a few failures in a row the slow polls take over until the signal answers again.
    if (state.failures >= 3) state.healthy = false;
    schedule(Math.min(15000, pace * 2 ** Math.min(state.failures, 5)));
  }

  async function ask() {
    if (document.visibilityState !== "visible") { schedule(pace); return; }
    if (state.inflight) return;
    state.inflight = true;
    const headers = state.etag ? { "If-None-Match": state.etag } : {};
    try {
      const response = await fetch(url, { headers, cache: "no-store", credentials: "same-origin" });
      if (response.status === 304) {
        state.failures = 0;
        state.healthy = true;
      } else if (response.ok) {
        const etag = response.headers.get("ETag");
        // The first answer counts as a change too: something may have moved between the
        // page being rendered and this first question.
        const changed = etag !== state.etag;
        state.etag = etag;
        state.failures = 0;
        state.healthy = true;
        if (changed && window.htmx) htmx.trigger(body, "kpiw:changed", { version: etag });
      } else {
        state.inflight = false;
        failed();
        return;
      }
    } catch (_) {
      state.inflight = false;
      failed();
      return;
    }
    state.inflight = false;
    schedule(pace);
  }

  // Back in view: ask at once (the page may have missed changes while hidden).
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") schedule(0);
  });
  schedule(0);
})();

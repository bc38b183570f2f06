// The run-sheet's live part: one countdown shared by every phone and the projector, polite
// announcements of block changes, the projector's keys, and reordering blocks by drag and
// drop. Every page works without this file: the remaining minutes are in the page as text,
// and the blocks move with their up and down buttons.
(function () {
  if (window.kpiwRunsheet) return; // included by several parts of one page
  window.kpiwRunsheet = true;
  document.documentElement.classList.add("kpiw-js");

  // The server's clock minus this device's, in ms. Every sample (the component's render
  // time, the poll's X-Server-Now header) is low by the time the answer travelled, so the
  // highest recent one is the closest; a few are kept so a device whose clock is changed
  // recovers within half a minute.
  const samples = [];
  let offset = 0;
  function sample(serverMs) {
    if (!serverMs || Number.isNaN(serverMs)) return;
    samples.push(serverMs - Date.now());
    if (samples.length > 8) samples.shift();
    offset = Math.max(...samples);
  }

  function mmss(s) {
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = String(s % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
  }

  function tick() {
    const now = Date.now() + offset;
    document.querySelectorAll("[data-runsheet-ends]").forEach((el) => {
      if (el.dataset.runsheetPaused === "1") return; // stopped: the server's figure stands
      const left = Math.ceil((Number(el.dataset.runsheetEnds) - now) / 1000);
      const text = mmss(Math.max(0, left));
      if (el.textContent !== text) el.textContent = text;
      const box = el.closest(".runsheet-live");
      if (box) box.classList.toggle("runsheet-over", left <= 0);
    });
  }
  setInterval(tick, 200);

  // A new block (or a pause) is announced once, politely, in the page's persistent live
  // region: the countdown itself is a timer, never read out every second.
  let seen = null;
  let announced = null;
  function settle() {
    const live = document.getElementById("runsheet-live");
    if (live && live !== seen) {
      seen = live;
      sample(Number(live.dataset.serverNow));
      const message = live.dataset.announce || "";
      const announcer = document.getElementById("live-announcer");
      if (announced !== null && message && message !== announced && announcer) {
        announcer.textContent = message;
      }
      announced = message;
    }
    tick();
  }
  document.addEventListener("DOMContentLoaded", settle);
  document.addEventListener("htmx:afterSettle", settle);
  // Answers can overtake each other (a poll started before a press, answered after it): a part
  // of the page never goes back to an older version of the sheet than the one it shows.
  document.addEventListener("htmx:beforeSwap", (e) => {
    const target = e.detail.target;
    const shown = target && target.dataset && Number(target.dataset.runsheetVersion);
    if (!shown) return;
    const match = /data-runsheet-version="(\d+)"/.exec(e.detail.serverResponse || "");
    if (match && Number(match[1]) < shown) e.detail.shouldSwap = false;
  });
  document.addEventListener("htmx:afterRequest", (e) => {
    const xhr = e.detail && e.detail.xhr;
    const header = xhr && xhr.getResponseHeader && xhr.getResponseHeader("X-Server-Now");
    if (header) sample(Number(header));
  });

  // The projector's keys: n next, p pause or resume, r reveal. Never while typing in a field,
  // never with a modifier (browser shortcuts stay the browser's).
  document.addEventListener("keydown", (e) => {
    if (!document.body.classList.contains("runsheet-projector")) return;
    if (e.altKey || e.ctrlKey || e.metaKey || e.repeat) return;
    const t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    const key = (e.key || "").toLowerCase();
    if (!["n", "p", "r"].includes(key)) return;
    const form = document.querySelector(`form[data-runsheet-key="${key}"]`);
    if (!form) return;
    e.preventDefault();
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  });

  // Drag and drop of the blocks being prepared; the new order goes to the server in one
  // request, which answers with the list as stored.
  let dragged = null;
  document.addEventListener("dragstart", (e) => {
    const item = e.target.closest && e.target.closest("li[data-block-id][draggable]");
    if (!item) return;
    dragged = item;
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", item.dataset.blockId);
    item.classList.add("dragging");
  });
  document.addEventListener("dragover", (e) => {
    if (!dragged) return;
    const over = e.target.closest && e.target.closest("li[data-block-id]");
    if (!over || over.parentNode !== dragged.parentNode) return;
    e.preventDefault();
    if (over === dragged) return;
    const box = over.getBoundingClientRect();
    const after = e.clientY > box.top + box.height / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });
  document.addEventListener("drop", (e) => {
    if (dragged) e.preventDefault();
  });
  document.addEventListener("dragend", () => {
    if (!dragged) return;
    const list = dragged.parentNode;
    dragged.classList.remove("dragging");
    dragged = null;
    const order = Array.from(list.children)
      .map((li) => li.dataset.blockId)
      .filter(Boolean)
      .join(",");
    if (!list.dataset.reorderUrl || order === list.dataset.order || !window.htmx) return;
    htmx.ajax("POST", list.dataset.reorderUrl, {
      source: list,
      target: "#runsheet-blocks",
      swap: "outerHTML",
      values: { order },
    });
  });
})();

// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  if (window.htmx) {
    // 204 = "nothing changed": keep what is on screen.
    htmx.config.defaultSwapStyle = "outerHTML";
    // Move focus to swapped-in error messages so screen readers announce them.
    document.body.addEventListener("htmx:afterSwap", (e) => {
      const alert = e.detail.elt.querySelector && e.detail.elt.querySelector("[data-autofocus]");
      if (alert) alert.focus();
    });
  }
  document.querySelectorAll("[data-copy]").forEach((btn) => {
    btn.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(btn.dataset.copy);
        const old = btn.textContent;
        btn.textContent = btn.dataset.copied || "✓";
        setTimeout(() => { btn.textContent = old; }, 1500);
      } catch (_) { /* clipboard unavailable: the link is visible to copy by hand */ }
    });
  });
});

// The API reference's "try it" forms: fill the path, send with the reader's session, show JSON.
document.addEventListener("submit", async (e) => {
  const form = e.target.closest && e.target.closest("form[data-api-path]");
  if (!form) return;
  e.preventDefault();
  let path = form.dataset.apiPath;
  const query = new URLSearchParams();
  form.querySelectorAll("input[data-in]").forEach((input) => {
    if (input.dataset.in === "path") {
      path = path.replace(`{${input.name}}`, encodeURIComponent(input.value.trim()));
    } else if (input.value.trim() !== "") {
      query.append(input.name, input.value.trim());
    }
  });
  const url = query.toString() ? `${path}?${query}` : path;
  const out = form.querySelector(".api-answer");
  try {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const text = await response.text();
    let body = text;
    try { body = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON: as is */ }
    out.textContent = `${response.status} ${response.statusText}  GET ${url}\n\n${body}`;
  } catch (err) {
    out.textContent = String(err);
  }
  out.hidden = false;
});

// sitegen serve: live reload and build errors. Never part of a built site.
(() => {
  "use strict";
  const script = document.currentScript;
  let version = Number(script && script.dataset.version) || 0;
  let dismissed = null;
  const ID = "sitegen-overlay";

  function show(state) {
    let box = document.getElementById(ID);
    if (!state.error) { if (box) box.remove(); dismissed = null; return; }
    if (state.error === dismissed) return;
    if (!box) {
      box = document.createElement("div");
      box.id = ID;
      box.setAttribute("role", "alertdialog");
      box.setAttribute("aria-label", "sitegen build errors");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:60vh;overflow:auto;" +
        "z-index:2147483647;margin:0;padding:14px 20px;box-sizing:border-box;background:#1c1c1f;color:#f4f4f5;" +
        "border-top:4px solid #e5484d;box-shadow:0 -6px 24px rgba(0,0,0,.35);text-align:left;" +
        "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace";
      const head = document.createElement("div");
      head.style.cssText = "display:flex;justify-content:space-between;align-items:center;gap:16px;margin-bottom:8px";
      const title = document.createElement("strong");
      title.className = "sitegen-overlay-title";
      const close = document.createElement("button");
      close.type = "button";
      close.textContent = "Dismiss \u00d7";
      close.style.cssText = "font:inherit;color:inherit;background:#3f3f46;border:0;border-radius:4px;padding:4px 10px;cursor:pointer";
      close.addEventListener("click", () => { dismissed = box.dataset.error; box.remove(); });
      const text = document.createElement("pre");
      text.className = "sitegen-overlay-text";
      text.style.cssText = "margin:0;white-space:pre-wrap;overflow-wrap:anywhere;font:inherit;color:inherit;background:none";
      head.append(title, close);
      box.append(head, text);
      document.body.append(box);
    }
    box.dataset.error = state.error;
    box.querySelector(".sitegen-overlay-title").textContent = !state.failed
      ? "sitegen: some files have errors \u2014 they have no page"
      : state.version ? "sitegen: the build failed \u2014 showing the last good site"
      : "sitegen: the build failed \u2014 nothing built yet";
    box.querySelector(".sitegen-overlay-text").textContent = state.error;
  }

  function swapStylesheets(v) {
    for (const link of document.querySelectorAll('link[rel~="stylesheet"]')) {
      const url = new URL(link.href, location.href);
      if (url.origin !== location.origin) continue;
      url.searchParams.set("sitegen", String(v));
      link.href = url.href;
    }
  }

  document.addEventListener("keydown", (e) => {
    const box = document.getElementById(ID);
    if (e.key === "Escape" && box) { dismissed = box.dataset.error; box.remove(); }
  });
  const source = new EventSource("/__sitegen__/events");
  const read = (e) => JSON.parse(e.data);
  source.addEventListener("state", (e) => {
    const state = read(e);
    window.sitegenLive = { connected: true, version };
    if (state.version !== version) location.reload(); else show(state);
  });
  source.addEventListener("reload", (e) => {
    const state = read(e);
    if (state.version !== version) location.reload(); else show(state);
  });
  source.addEventListener("css", (e) => {
    const state = read(e);
    version = state.version;
    swapStylesheets(state.version);
    show(state);
  });
  source.addEventListener("failed", (e) => show(read(e)));
})();

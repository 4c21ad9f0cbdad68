// sitegen search page: starts Pagefind's search UI and runs the query from ?q=
// (the header's search box is a plain form that sends its words here).
(() => {
  "use strict";
  const box = document.getElementById("search");
  if (!box || typeof PagefindUI === "undefined") return;
  const ui = new PagefindUI({
    element: "#search",
    bundlePath: box.dataset.bundle,
    baseUrl: box.dataset.baseUrl,
    showSubResults: true,
    showImages: false,
  });
  // Pagefind's field has only a placeholder and a title: give it a visible label.
  const input = box.querySelector("input.pagefind-ui__search-input");
  if (input) {
    input.id = "search-words";
    const label = document.createElement("label");
    label.htmlFor = input.id;
    label.className = "search-label";
    label.textContent = box.dataset.label || "Words to search for";
    box.before(label);
  }
  const query = new URLSearchParams(location.search).get("q");
  if (query) {
    ui.triggerSearch(query);
    const field = document.querySelector(".site-search-input");
    if (field) field.value = query;
  }
})();

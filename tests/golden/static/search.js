/* Start Pagefind's search box on the search page. A ?q= in the address (the search forms on
   other pages send one) runs that search at once. Everything else on the site works without this. */
window.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("search");
  if (!box || typeof PagefindUI === "undefined") {
    return;
  }
  var ui = new PagefindUI({
    element: "#search",
    bundlePath: box.getAttribute("data-bundle"),
    showImages: false,
    showSubResults: false,
    autofocus: false
  });
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) {
    ui.triggerSearch(query);
  }
});

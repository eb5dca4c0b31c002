/* The search page (templates/search.html) over Pagefind's JavaScript API. Words are optional: with none typed,
   the filters alone list every incident that matches, newest first. Each filter's counts are worked out with
   the other filters applied, so choosing a value shows exactly that many incidents. The words and filters
   are kept in the address (?q=...&year=2016&agency=...) so a view can be shared. Everything else on the site
   works without this script. */
(function () {
  "use strict";
  var PAGE = 20;
  var form = document.getElementById("search");
  if (!form || !window.URLSearchParams) {
    return;
  }
  var input = form.elements.q;
  var selects = Array.prototype.slice.call(form.querySelectorAll("select"));
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");
  var pagefind = null;
  var everyValue = {};
  var shown = [];
  var latest = 0;
  var timer = null;
  /* With no words typed, Pagefind's own "no words" search (a null term) fetches every chunk of the word index:
     megabytes at thousands of incidents. A word every incident page holds (data-browse: the "Facts" heading)
     lists the same pages from one chunk. start() checks that it really finds every incident, and uses the
     null search otherwise. */
  var browse = null;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function chosen() {
    var filters = {};
    selects.forEach(function (select) {
      if (select.value) {
        filters[select.name] = select.value;
      }
    });
    return filters;
  }

  function without(filters, name) {
    var copy = {};
    Object.keys(filters).forEach(function (key) {
      if (key !== name) {
        copy[key] = filters[key];
      }
    });
    return copy;
  }

  /* Years newest first; other values by how many incidents have them, then by name. */
  function ordered(name, counts) {
    return Object.keys(counts).sort(function (a, b) {
      if (name === "year") {
        return b.localeCompare(a);
      }
      return counts[b] - counts[a] || a.localeCompare(b);
    });
  }

  function fillSelect(select, counts) {
    var current = select.value;
    while (select.options.length > 1) {
      select.remove(1);
    }
    ordered(select.name, everyValue[select.name] || {}).forEach(function (value) {
      var count = counts[value] || 0;
      var option = new Option(value + " (" + count + ")", value, false, value === current);
      option.disabled = count === 0 && value !== current;
      select.add(option);
    });
    select.value = current;
  }

  function remember(term, filters) {
    var params = new URLSearchParams();
    if (term) {
      params.set("q", term);
    }
    Object.keys(filters).forEach(function (key) {
      params.set(key, filters[key]);
    });
    var query = params.toString();
    history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
  }

  function describe(count, term, filters) {
    var text = count + (count === 1 ? " incident" : " incidents");
    var parts = Object.keys(filters).map(function (key) {
      var select = form.elements[key];
      return select.parentNode.firstChild.textContent.trim() + ": " + filters[key];
    });
    if (term) {
      text += " matching “" + term + "”";
    }
    if (parts.length) {
      text += (term ? " and " : " with ") + parts.join(", ");
    }
    if (count > 1) {
      text += term ? ", best match first" : ", newest first";
    }
    return text + ".";
  }

  function resultItem(data, term) {
    var item = element("li");
    var link = element("a", "", data.meta.title);
    link.href = data.url;
    item.appendChild(link);
    var facts = [data.meta.date, data.meta.place].concat((data.filters && data.filters.type) || []);
    item.appendChild(element("p", "meta", facts.filter(Boolean).join(" · ")));
    if (term && data.excerpt) {
      var excerpt = element("p", "excerpt");
      excerpt.innerHTML = data.excerpt; // Pagefind's own excerpt: the page's text, escaped, with <mark>
      item.appendChild(excerpt);
    }
    return item;
  }

  async function showMore(search, ticket) {
    var next = shown.length;
    var batch = await Promise.all(
      search.results.slice(next, next + PAGE).map(function (result) {
        return result.data();
      })
    );
    if (ticket !== latest) {
      return;
    }
    batch.forEach(function (data) {
      shown.push(data);
      list.appendChild(resultItem(data, search.term));
    });
    more.hidden = shown.length >= search.results.length;
  }

  var current = null;

  async function run() {
    var ticket = ++latest;
    form.setAttribute("aria-busy", "true");
    var term = input.value.trim() || null;
    var filters = chosen();
    remember(term, filters);
    var options = { filters: filters };
    if (!term) {
      options.sort = { date: "desc" };
    }
    var found = await pagefind.search(term || browse, options);
    var counts = {};
    for (var i = 0; i < selects.length; i++) {
      var name = selects[i].name;
      if (filters[name]) {
        var others = await pagefind.search(term || browse, { filters: without(filters, name) });
        counts[name] = others.filters[name] || {};
      } else {
        counts[name] = found.filters[name] || {};
      }
    }
    if (ticket !== latest) {
      return;
    }
    selects.forEach(function (select) {
      fillSelect(select, counts[select.name]);
    });
    current = { term: term, results: found.results };
    shown = [];
    list.textContent = "";
    status.textContent = describe(found.results.length, term, filters);
    await showMore(current, ticket);
    if (ticket === latest) {
      form.removeAttribute("aria-busy");
    }
  }

  function later() {
    clearTimeout(timer);
    form.setAttribute("aria-busy", "true");
    timer = setTimeout(run, 300);
  }

  async function start() {
    var params = new URLSearchParams(window.location.search);
    input.value = params.get("q") || "";
    form.hidden = false;
    status.textContent = "Loading the search index…";
    try {
      pagefind = await import(form.getAttribute("data-bundle") + "pagefind.js");
      await pagefind.options({ excerptLength: 18 });
      await pagefind.init();
      everyValue = await pagefind.filters();
      var word = form.getAttribute("data-browse");
      var total = Object.values(everyValue.year || {}).reduce(function (sum, count) {
        return sum + count;
      }, 0); // each incident page has exactly one year
      if (word && (await pagefind.search(word)).results.length === total) {
        browse = word;
      }
    } catch (error) {
      status.textContent =
        "The search index could not be loaded (the preview does not build it). Every incident is also listed on the incidents page.";
      form.removeAttribute("aria-busy");
      return;
    }
    selects.forEach(function (select) {
      var value = params.get(select.name);
      fillSelect(select, everyValue[select.name] || {});
      if (value && everyValue[select.name] && value in everyValue[select.name]) {
        select.value = value;
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      run();
    });
    input.addEventListener("input", later);
    selects.forEach(function (select) {
      select.addEventListener("change", run);
    });
    more.addEventListener("click", function () {
      showMore(current, latest);
    });
    run();
  }

  start();
})();

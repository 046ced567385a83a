
(function () {
  "use strict";
  function show(id, scroll) {
    var cmp = document.getElementById("cmp-" + id);
    if (!cmp) return false;
    var section = cmp.closest("section.draft");
    if (!section) return false;
    var slot = section.querySelector(".side-slot");
    if (slot) {
      var copy = cmp.cloneNode(true);
      copy.removeAttribute("id");
      copy.classList.add("shown");
      slot.replaceChildren(copy);
    }
    var key = cmp.getAttribute("data-p");
    section.querySelectorAll("mark.active").forEach(function (m) { m.classList.remove("active"); });
    var first = null;
    section.querySelectorAll("mark[data-p]").forEach(function (m) {
      if (m.getAttribute("data-p") === key) { m.classList.add("active"); first = first || m; }
    });
    if (scroll && first) first.scrollIntoView({block: "nearest"});
    return true;
  }
  function target(e) { return e.target.closest ? e.target.closest("mark[data-p], tr[data-p]") : null; }
  document.addEventListener("mouseover", function (e) {
    var m = target(e); if (m && m.tagName === "MARK") show(m.getAttribute("data-p"), false);
  });
  document.addEventListener("focusin", function (e) {
    var m = target(e); if (m && m.tagName === "MARK") show(m.getAttribute("data-p"), false);
  });
  document.addEventListener("click", function (e) {
    var m = target(e);
    if (!m) return;
    var key = m.getAttribute("data-p");
    if (show(key, m.tagName !== "MARK")) history.replaceState(null, "", "#" + key);
  });
  function fromHash() {
    var key = decodeURIComponent(location.hash.slice(1));
    if (key) show(key, true);
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();

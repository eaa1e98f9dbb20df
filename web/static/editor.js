// YASGUI replaces the plain form when it loaded; the form stays for browsers without it.
(function () {
  var box = document.getElementById("yasgui");
  if (!box || typeof Yasgui === "undefined") { return; }
  var plain = document.getElementById("plain-editor");
  var start = document.getElementById("query").value;
  var yasgui = new Yasgui(box, {
    requestConfig: {endpoint: box.dataset.endpoint, method: "POST"},
    copyEndpointOnNewTab: false,
    persistenceId: null
  });
  if (start) { yasgui.getTab().setQuery(start); }
  plain.hidden = true;
  document.querySelectorAll("#examples a[data-query]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      yasgui.getTab().setQuery(link.dataset.query);
    });
  });
  window.kgYasgui = yasgui;
})();

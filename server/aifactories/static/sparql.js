// Progressive enhancement only: the form and the results table work without JavaScript.
// Ctrl+Enter (or Cmd+Enter) in the query box runs the query.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("query");
  var form = document.getElementById("query-form");
  if (!box || !form) return;
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.submit();
    }
  });
});

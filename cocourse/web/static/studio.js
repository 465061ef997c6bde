// The studio editor's live check and preview: a second after typing stops, the text is
// checked against the whole course on the server (nothing is saved), the problems are listed
// under the text and, for a lesson, its text is shown as learners will read it. Without
// JavaScript the page works the same, with the check at saving time and the Preview button.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.studio-editor[data-check]");
    if (!form) { return; }
    var text = form.querySelector("textarea[name=text]");
    var token = form.querySelector("input[name=csrf_token]");
    var region = document.getElementById("live-check");
    var preview = document.getElementById("live-preview");
    var timer = null;
    var asked = 0;

    function show(answer) {
      region.textContent = "";
      var heading = document.createElement("p");
      heading.className = "live-check-summary";
      heading.textContent = answer.summary;  // worded by the server, in the page's language
      region.appendChild(heading);
      if (answer.problems.length) {
        var list = document.createElement("ul");
        list.className = "problems";
        answer.problems.forEach(function (problem) {
          var item = document.createElement("li");
          var where = document.createElement("code");
          where.textContent = problem.where;
          item.appendChild(where);
          item.appendChild(document.createTextNode(" " + problem.code + " " + problem.message));
          list.appendChild(item);
        });
        region.appendChild(list);
      }
      region.hidden = false;
      if (preview && answer.preview) {
        // Rendered by the server with the learner pages' renderer (no raw HTML, safe links).
        preview.innerHTML = answer.preview;
        preview.hidden = false;
      }
    }

    function check() {
      var mine = ++asked;
      var body = new FormData();
      body.append("text", text.value);
      fetch(form.dataset.check, {
        method: "POST",
        body: body,
        headers: { "X-CSRFToken": token.value },
        credentials: "same-origin"
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (answer) {
        if (answer && mine === asked) { show(answer); }
      }).catch(function () { /* the check at saving time still runs */ });
    }

    text.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(check, 1000);
    });
  });
})();

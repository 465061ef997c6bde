// The quiz attempt page, where JavaScript runs: times in the learner's own time zone, a
// countdown that submits when time is up, and saving the answers after each change.
// Without it the page still works: the deadline in UTC and a "Save" button.
(function () {
  "use strict";

  var form = document.getElementById("quiz-form");
  if (!form) {
    return;
  }
  var status = document.querySelector("[data-save-status]");
  // The page's words, in its language (English if the page gives none).
  var words = {
    saving: "Saving…",
    saved: "Saved at {time}.",
    notSaved: "Not saved: check your connection. Your answers are still on this page.",
    yourTime: "{time} (your time)",
    timeLeft: "Time left: {time}",
    lessThan: {
      1: "Less than 1 minute left.",
      5: "Less than 5 minutes left.",
      10: "Less than 10 minutes left.",
    },
  };
  if (form.dataset.words) {
    words = JSON.parse(form.dataset.words);
  }
  function fill(message, time) {
    return message.replace("{time}", time);
  }

  function localTime(date) {
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  // Times written in UTC by the server, shown in the browser's time zone.
  function showLocalTimes(root) {
    root.querySelectorAll("time[data-local-time]").forEach(function (element) {
      var date = new Date(element.getAttribute("datetime"));
      if (!isNaN(date)) {
        element.textContent = fill(words.yourTime, localTime(date));
      }
    });
  }
  showLocalTimes(document);

  // Saving: a moment after the last change, never two requests at once.
  var saveUrl = form.getAttribute("data-save-url");
  var timer = null;
  var saving = false;
  var again = false;
  var submitting = false;

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function save() {
    if (submitting) {
      return;
    }
    if (saving) {
      again = true;
      return;
    }
    saving = true;
    say(words.saving);
    fetch(saveUrl, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (response.status === 409 && body.result) {
            window.location.assign(body.result);
            return;
          }
          if (!response.ok || !body.saved_at) {
            throw new Error("not saved");
          }
          say(fill(words.saved, localTime(new Date(body.saved_at))));
        });
      })
      .catch(function () {
        say(words.notSaved);
      })
      .then(function () {
        saving = false;
        if (again) {
          again = false;
          save();
        }
      });
  }

  function changed() {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, 800);
  }
  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  // On a slow connection a learner may answer before this script has arrived: what they
  // changed by then is saved too.
  function answeredAlready() {
    return Array.prototype.some.call(form.elements, function (element) {
      if (element.type === "checkbox" || element.type === "radio") {
        return element.checked !== element.defaultChecked;
      }
      if (element.tagName === "SELECT") {
        return Array.prototype.some.call(element.options, function (option) {
          return option.selected !== option.defaultSelected;
        });
      }
      if (element.type === "text" || element.type === "number" || element.tagName === "TEXTAREA") {
        return element.value !== element.defaultValue;
      }
      return false;
    });
  }
  if (saveUrl && answeredAlready()) {
    changed();
  }
  form.addEventListener("submit", function () {
    submitting = true;
    window.clearTimeout(timer);
  });

  // The countdown: the server keeps the deadline; this only shows it and submits in time.
  var countdown = document.querySelector("[data-deadline]");
  if (!countdown) {
    return;
  }
  var deadline = new Date(countdown.getAttribute("data-deadline")).getTime();
  var text = countdown.querySelector("[data-countdown-text]");
  var announce = document.querySelector("[data-countdown-announce]");
  var announced = {};
  countdown.hidden = false;

  function timeUp() {
    submitting = true;
    var action = document.createElement("input");
    action.type = "hidden";
    action.name = "action";
    action.value = "timeup";
    form.appendChild(action);
    form.submit();
  }

  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var minutes = Math.floor(left / 60);
    var seconds = left % 60;
    text.textContent = fill(words.timeLeft, minutes + ":" + (seconds < 10 ? "0" : "") + seconds);
    // Screen readers hear the time at a few moments only (the nearest passed), not every second.
    var mark = [1, 5, 10].find(function (m) {
      return minutes < m;
    });
    if (mark && !announced[mark] && left > 0 && announce) {
      [1, 5, 10].forEach(function (m) {
        announced[m] = announced[m] || m >= mark;
      });
      announce.textContent = words.lessThan[mark];
    }
    if (left === 0) {
      timeUp();
      return;
    }
    window.setTimeout(tick, 1000 - (Date.now() % 1000));
  }
  tick();
})();

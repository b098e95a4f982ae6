/* Console helpers: live countdowns and live previews. Every page works without this file. */
(function () {
  "use strict";

  function describe(due, now) {
    var minutes = Math.floor(Math.abs(due - now) / 60000);
    var span = minutes < 60 ? minutes + " min"
      : Math.floor(minutes / 60) + " h " + String(minutes % 60).padStart(2, "0") + " min";
    return due >= now ? "due in " + span : "overdue " + span;
  }

  function tick() {
    var now = new Date();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var due = new Date(el.getAttribute("datetime"));
      el.textContent = describe(due, now);
      el.classList.toggle("countdown--overdue", due < now);
      el.classList.toggle("countdown--soon", due >= now && due - now < 600000);
      var row = el.closest("tr");
      if (row) { row.classList.toggle("overdue", due < now); }
    });
  }
  tick();
  setInterval(tick, 15000);

  var token = document.querySelector("input[name=csrf_token]");
  function post(url, fields) {
    var body = new FormData();
    Object.keys(fields).forEach(function (key) { body.append(key, fields[key]); });
    if (token) { body.append("csrf_token", token.value); }
    return fetch(url, { method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json" } }).then(function (r) { return r.json(); });
  }
  function debounce(fn, ms) {
    var timer;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  // Compose and draft forms: each message's preview follows its text (HTML made safe by the server).
  document.querySelectorAll("form[data-preview-url]").forEach(function (form) {
    var url = form.getAttribute("data-preview-url");
    form.querySelectorAll("[data-preview-input]").forEach(function (input) {
      var key = input.getAttribute("data-preview-input");
      input.addEventListener("input", debounce(function () {
        post(url, { text: input.value }).then(function (answer) {
          if (answer.html === undefined) { return; }  // refused: the form's own check says why
          document.querySelectorAll("[data-preview-for='" + key + "'] [data-preview-body]")
            .forEach(function (el) { el.innerHTML = answer.html; });
        });
      }, 300));
    });
    form.querySelectorAll("[data-preview-title-input]").forEach(function (input) {
      var key = input.getAttribute("data-preview-title-input");
      input.addEventListener("input", function () {
        document.querySelectorAll("[data-preview-for='" + key + "'] [data-preview-title]")
          .forEach(function (el) { el.textContent = input.value; });
      });
    });
  });

  // Compose form: messages not edited by hand follow the facts, status and components as they
  // are typed (the server does the same at submit, for pages without this script).
  var composeForm = document.querySelector("form[data-follow-url]");
  if (composeForm) {
    var markEdited = function (key) {
      var flag = composeForm.querySelector("[data-edited-flag='" + key + "']");
      var badge = composeForm.querySelector("[data-edited-badge='" + key + "']");
      if (flag) { flag.value = "1"; }
      if (badge) { badge.hidden = false; }
    };
    composeForm.querySelectorAll("[data-preview-input], [data-preview-title-input]")
      .forEach(function (input) {
        var key = input.getAttribute("data-preview-input") ||
          input.getAttribute("data-preview-title-input");
        input.addEventListener("input", function () { markEdited(key); });
      });
    var follow = debounce(function () {
      var fields = {};
      new FormData(composeForm).forEach(function (value, name) {
        if (name === "facts" || name === "internal_details" || name === "status" ||
            name.indexOf("component-") === 0) {
          fields[name] = value;
        }
      });
      post(composeForm.getAttribute("data-follow-url"), fields).then(function (answer) {
        answer.drafts.forEach(function (draft) {
          var flag = composeForm.querySelector("[data-edited-flag='" + draft.key + "']");
          if (!flag || flag.value === "1") { return; }
          composeForm.elements[draft.key + "-title"].value = draft.title;
          composeForm.elements[draft.key + "-body"].value = draft.body;
          composeForm.elements[draft.key + "-shown"].value = draft.shown;
          document.querySelectorAll("[data-preview-for='" + draft.key + "']").forEach(function (el) {
            el.querySelectorAll("[data-preview-title]").forEach(function (t) { t.textContent = draft.title; });
            el.querySelectorAll("[data-preview-body]").forEach(function (b) { b.innerHTML = draft.html; });
          });
        });
      });
    }, 300);
    composeForm.elements.facts.addEventListener("input", follow);
    composeForm.elements.internal_details.addEventListener("input", follow);
    composeForm.querySelectorAll("input[name=status], select[name^='component-']")
      .forEach(function (input) { input.addEventListener("change", follow); });
  }

  // Pages left open on a screen (the internal page) reload themselves; a button pauses it.
  var refreshing = document.querySelector("[data-auto-refresh]");
  if (refreshing) {
    var seconds = parseInt(refreshing.getAttribute("data-auto-refresh"), 10);
    var toggle = refreshing.querySelector("[data-auto-refresh-toggle]");
    var timer = setInterval(function () { location.reload(); }, seconds * 1000);
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      if (timer) {
        clearInterval(timer);
        timer = null;
        toggle.textContent = "Resume reloading";
      } else {
        timer = setInterval(function () { location.reload(); }, seconds * 1000);
        toggle.textContent = "Pause reloading";
      }
    });
  }

  // Template editor: render against the sample incident while typing.
  var templateForm = document.querySelector("form[data-template-preview]");
  if (templateForm) {
    var error = document.getElementById("template-error");
    var refresh = debounce(function () {
      post(templateForm.getAttribute("data-template-preview"), {
        title: templateForm.elements.title.value,
        body: templateForm.elements.body.value,
        status: templateForm.elements.status.value
      }).then(function (answer) {
        // A refusal: the preview's own, or a problem document (a request the app takes from no one).
        var refusal = answer.error || answer.detail;
        error.hidden = !refusal;
        error.textContent = refusal || "";
        if (!refusal) {
          document.getElementById("template-preview-title").textContent = answer.title;
          document.getElementById("template-preview-body").innerHTML = answer.html;
        }
      });
    }, 400);
    templateForm.elements.title.addEventListener("input", refresh);
    templateForm.elements.body.addEventListener("input", refresh);
  }
})();

// While an incident is open the status page keeps itself current: every 30 seconds (while the
// tab is visible) it asks whether the page's status document changed, with If-None-Match so an
// unchanged answer is an empty 304, and reloads when it did. The banner says when it last looked.
(function () {
  "use strict";
  var script = document.currentScript;
  var address = script && script.getAttribute("data-poll");
  var said = document.getElementById("freshness");
  // The sentence in the page's language (data-checked), with {time} where the reader's time goes.
  var sentence = (script && script.getAttribute("data-checked")) ||
    "Checked for news at {time} (your time); this page reloads when there is any.";
  if (!address || !window.fetch) {
    return;
  }
  var EVERY = 30000;
  var etag = null;
  var body = null;
  var format = new Intl.DateTimeFormat("en-US", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

  function checked() {
    if (said) {
      said.hidden = false;
      said.textContent = sentence.replace("{time}", format.format(new Date()));
    }
  }

  function look() {
    if (document.hidden) {
      return;
    }
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(address, { headers: headers, cache: "no-store" }).then(function (answer) {
      if (answer.status === 304) {
        checked();
        return null;
      }
      if (!answer.ok) {
        return null;
      }
      var tag = answer.headers.get("ETag");
      return answer.text().then(function (text) {
        var changed = (etag !== null && tag !== etag) || (etag === null && body !== null && text !== body);
        if (changed) {
          window.location.reload();
          return;
        }
        etag = tag;
        body = text;
        checked();
      });
    }).catch(function () { /* offline for now: the next look tries again */ });
  }

  look();
  window.setInterval(look, EVERY);
  document.addEventListener("visibilitychange", look);
})();

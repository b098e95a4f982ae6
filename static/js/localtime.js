// Adds the reader's own time beside each time shown in the page's zone. The page is complete
// without this script; it only helps readers in another zone.
(function () {
  "use strict";
  var pageZone = document.documentElement.getAttribute("data-zone") || "UTC";
  var readerZone;
  try {
    readerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  var format = new Intl.DateTimeFormat(undefined, {
    month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  function offsetAt(moment, zone) {
    var parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "numeric"
    }).formatToParts(moment);
    var get = function (type) {
      return Number(parts.find(function (part) { return part.type === type; }).value);
    };
    return Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute")) -
      Math.floor(moment.getTime() / 60000) * 60000;
  }
  function localise() {
    var times = document.querySelectorAll("time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var moment = new Date(times[i].getAttribute("datetime"));
      if (isNaN(moment.getTime()) || offsetAt(moment, readerZone) === offsetAt(moment, pageZone)) {
        continue;
      }
      var local = document.createElement("span");
      local.className = "localtime";
      local.textContent = " (" + format.format(moment) + " your time)";
      times[i].insertAdjacentElement("afterend", local);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", localise);
  } else {
    localise();
  }
})();
